// Independent SMPP server for Flowgate's tests, on the `smpp` npm package (not our codec).
// Listens on 127.0.0.1 (port from argv, 0 = any). Control: JSON lines on stdin, events as JSON
// lines on stdout. Raw PDU bytes are reported as hex because the package's own UDH decoding is
// known to be buggy: the Python tests check parts on the raw bytes.
'use strict';

const readline = require('readline');
const smpp = require('smpp');

const port = parseInt(process.argv[2] || '0', 10);
const credentials = { test: 'secret' };

// Keep the raw frame of every PDU the package decodes.
const origFromBuffer = smpp.PDU.prototype.fromBuffer;
smpp.PDU.prototype.fromBuffer = function (buffer) {
  this._raw = Buffer.from(buffer).toString('hex');
  return origFromBuffer.call(this, buffer);
};

let nextId = 0x20000;
let throttle = 0;
let dropAfter = null;
let submits = 0;
const sessions = new Set();

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function boundReceivers() {
  return [...sessions].filter((s) => s._mode === 'transceiver' || s._mode === 'receiver');
}

const server = smpp.createServer({}, (session) => {
  sessions.add(session);
  session.on('close', () => sessions.delete(session));
  session.on('error', (e) => emit({ event: 'error', message: String(e) }));

  for (const mode of ['transmitter', 'receiver', 'transceiver']) {
    session.on('bind_' + mode, (pdu) => {
      const ok = credentials[pdu.system_id] === pdu.password;
      emit({ event: 'bind', mode, system_id: pdu.system_id, ok });
      if (ok) {
        session._mode = mode;
        session.send(pdu.response({ system_id: 'nodesmsc' }));
      } else {
        session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
      }
    });
  }

  session.on('enquire_link', (pdu) => {
    emit({ event: 'enquire_link' });
    session.send(pdu.response());
  });

  session.on('unbind', (pdu) => {
    emit({ event: 'unbind' });
    session.send(pdu.response());
    session.close();
  });

  session.on('generic_nack', (pdu) => emit({ event: 'generic_nack', status: pdu.command_status }));

  session.on('submit_sm', (pdu) => {
    submits += 1;
    const base = {
      event: 'submit_sm',
      raw: pdu._raw,
      destination_addr: pdu.destination_addr,
      data_coding: pdu.data_coding,
      esm_class: pdu.esm_class,
    };
    if (dropAfter !== null && submits >= dropAfter) {
      dropAfter = null;
      emit({ ...base, dropped: true });
      session.socket.destroy();
      return;
    }
    if (throttle > 0) {
      throttle -= 1;
      emit({ ...base, status: smpp.ESME_RTHROTTLED });
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    const id = (nextId++).toString(16).toUpperCase();
    emit({ ...base, status: 0, message_id: id });
    session.send(pdu.response({ message_id: id }));
  });

  session.on('unknown', (pdu) => {
    session.send(pdu.response());
  });
});

function deliver(params) {
  const target = boundReceivers()[0];
  if (!target) {
    emit({ event: 'deliver_sm_resp', error: 'no receiver bound' });
    return;
  }
  target.deliver_sm(params, (resp) => {
    emit({ event: 'deliver_sm_resp', status: resp.command_status, tag: params._tag });
  });
}

const commands = {
  throttle: (c) => { throttle = c.count; },
  drop_after: (c) => { dropAfter = c.count; submits = 0; },
  deliver: (c) => deliver({
    source_addr: c.source_addr || '250788000000',
    destination_addr: c.destination_addr || '1234',
    esm_class: c.esm_class || 0,
    data_coding: c.data_coding || 0,
    short_message: Buffer.from(c.short_message_hex, 'hex'),
  }),
  receipt: (c) => deliver({
    source_addr: '250788000000',
    destination_addr: '1234',
    esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
    short_message: Buffer.from(
      `id:${c.id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:${c.stat} err:000 text:`,
    ),
  }),
  enquire_link: () => {
    const s = [...sessions][0];
    s.enquire_link({}, (resp) => emit({ event: 'enquire_link_resp', status: resp.command_status }));
  },
  garbage: (c) => {
    for (const s of sessions) s.socket.write(Buffer.from(c.hex, 'hex'));
  },
};

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const c = JSON.parse(line);
    commands[c.cmd](c);
  } catch (e) {
    emit({ event: 'error', message: String(e) });
  }
});
process.stdin.on('end', () => process.exit(0));

server.listen(port, '127.0.0.1', () => emit({ event: 'listening', port: server.address().port }));
