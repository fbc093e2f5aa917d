-- benchmarks/receive_wrk_paced.lua: receive_wrk.lua's requests at a fixed offered load.
-- `wrk ... -s receive_wrk_paced.lua URL -- RUNTAG DELAY_MS` (run from the project root): each
-- connection waits DELAY_MS before its next request, so C connections offer about
-- C * 1000 / DELAY_MS requests a second whatever the server's speed. wrk starts a request's
-- latency when it is written, after the delay: the figure is the server's answer time at that
-- load, without the queueing of a saturating run.
dofile("benchmarks/receive_wrk.lua")

local base_init = init

function init(args)
  base_init(args)
  delay_ms = tonumber(args[2]) or 0
end

function delay()
  return delay_ms
end
