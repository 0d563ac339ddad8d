# jsondoc.py MANUAL [--need EV,EV...] FILE... - every line of every FILE is
# one JSON object with t and event, and every event and top-level field is
# one the manual's JSON OUTPUT section lists; --need: events that must occur.
import json, re, sys
args = sys.argv[1:]
man = open(args.pop(0), encoding='utf-8').read()
need = set()
if args and args[0] == '--need':
    args.pop(0)
    need = set(args.pop(0).split(','))
sec = man.split('\n# JSON OUTPUT\n')[1].split('\n# ')[0]
doc = {}
for bullet in re.split(r'\n- ', '\n' + sec.split('\n- ', 1)[1]):
    head, _, rest = bullet.partition(':')
    names = re.findall(r'`([a-z_]+)`', head)
    fields = set(re.findall(r'`([a-z_0-9]+)`', rest))
    for n in names:
        doc.setdefault(n, set()).update(fields)
seen = set()
for f in args:
    for n, l in enumerate(open(f, encoding='utf-8'), 1):
        o = json.loads(l)
        assert 't' in o and 'event' in o, (f, n, l)
        ev = o['event']
        assert ev in doc, (f, n, 'undocumented event', ev)
        extra = set(o) - doc[ev] - {'t', 'event', 'session'}
        assert not extra, (f, n, ev, 'undocumented fields', extra)
        seen.add(ev)
assert need <= seen, ('never seen', need - seen)
