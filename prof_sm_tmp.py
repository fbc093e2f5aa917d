import django, os; os.environ.setdefault("DJANGO_SETTINGS_MODULE","web.settings"); django.setup()
import time, functools, logging
import smsc.services as s
def timed(fn):
    @functools.wraps(fn)
    def w(**kw):
        t=time.perf_counter(); r=fn(**kw); d=time.perf_counter()-t
        n = len(kw.get('batch') or kw.get('receipts') or [])
        print(f"{fn.__name__} n={n} {d*1000:.0f}ms", flush=True)
        return r
    return w
for name in ("record","apply_receipts","claim"):
    setattr(s, name, timed(getattr(s,name)))
import sys
sys.argv=["x","--messages","2000","--timeout","15"]
from smsc import bench_e2e
bench_e2e.main()
