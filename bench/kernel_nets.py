#!/usr/bin/env python3
"""Re-measure the README's per-kernel lan/wan table (the rows after the line that
starts 'Kernels, per call at the batch size shown'). Prints the new rows."""
import json, re, subprocess, sys
rows = []
text = open('README.md').read().splitlines()
start = next(i for i, l in enumerate(text) if l.startswith('Kernels, per call at the batch size shown'))
for l in text[start:]:
    m = re.match(r'^\| `(\w+)` ?([^|]*)\| (\d+) \|', l)
    if m:
        rows.append((m.group(1), m.group(2).split(), int(m.group(3))))
    elif rows and not l.startswith('|'):
        break
def bench(args):
    r = subprocess.run(['build/out/bin/sirnn-bench'] + args, capture_output=True, text=True)
    js = [x for x in r.stdout.splitlines() if x.startswith('{')]
    if r.returncode != 0 or not js:
        return None
    return json.loads(js[-1])
out = []
for k, params, n in rows:
    one = bench([k, 'n=1'] + params)
    lan = bench([k, f'n={n}'] + params + ['net=lan', 'runs=3'])
    wan = bench([k, f'n={n}'] + params + ['net=wan', 'runs=3'])
    if not (one and lan and wan):
        print('FAILED', k, params, n, file=sys.stderr); continue
    ms = lambda b: b['ns_per_op'] * n / 1e6
    line = '| `%s` %s | %d | %g | %g | %.0f | %.0f |' % (k, ' '.join(params), n, lan['rounds'], one['rounds'], ms(lan), ms(wan))
    print(line, flush=True)
