#!/usr/bin/env python3
"""The contract as XML: every property, method and signal listed in the normative
../shared/spec/dbus-api.md must be in dbus-interfaces/*.xml with the same name, types,
access and argument names. Usage: check-contract.py SPEC_MD XML_DIR"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

spec_path, xml_dir = sys.argv[1], sys.argv[2]
if not os.path.exists(spec_path):
    print('SKIP: %s is missing (../shared must be beside the clone)' % spec_path)
    sys.exit(77)
md = open(spec_path).read()
TYPES = r'(?:a\{sv\}|a\{ss\}|as|ao|s|b|u|x|t|i|o)'
# sections
secs = {}
cur = None
for line in md.splitlines():
    m = re.match(r'## (org\.sipsimple\.\S+)', line)
    if m: cur = m.group(1).split('.')[-1]; secs[cur] = []; continue
    if line.startswith('## '): cur = None; continue
    if cur: secs[cur].append(line)
# split the shared Subscription1/Publication1 section
def bullets(lines):
    out = []
    for l in lines:
        if l.startswith('- '): out.append(l[2:])
        elif l.startswith('  ') and out: out[-1] += ' ' + l.strip()
        elif l.strip(): out.append(l)   # free text (e.g. Session1 states line)
    return out
spec = {}
def add(iface): return spec.setdefault(iface, {'props': {}, 'methods': {}, 'signals': {}})
for sec, lines in secs.items():
    for b in bullets(lines):
        ifaces = [sec]
        if sec == 'Subscription1':
            if b.startswith('Subscription'): ifaces = ['Subscription1']
            elif b.startswith('Publication'): ifaces = ['Publication1']
            else: continue
        iface = ifaces[0]; d = add(iface)
        rw = 'readwrite' if re.search(r'read/write', b, re.I) else 'read'
        for m in re.finditer(r'`([A-Z][A-Za-z0-9]*)` (' + TYPES + r')(?=[\s,.)]|$)', b):
            d['props'][m.group(1)] = (m.group(2), rw)
        sigpos = min([p for p in (b.find('Signals:'), b.find('Signal `')) if p >= 0] or [len(b)])
        for m in re.finditer(r'`([A-Za-z0-9.]+)\(([^)`]*)\)(?: -> (' + TYPES + r')(?: (\w+))?)?`', b):
            name, args = m.group(1), m.group(2)
            if '.' in name or name == 'Session' or '...' in args and args.strip() != '...':  # cross refs / seed refs / elided
                continue
            kind = 'signals' if m.start() > sigpos else 'methods'
            if args.strip() == '...':
                d[kind][name] = spec['Session1'][kind][name]; continue
            al = []
            for a in [x.strip() for x in args.split(',') if x.strip()]:
                p = a.split()
                al.append((p[0], p[1] if len(p) > 1 else None))
            d[kind][name] = (al, m.group(3), m.group(4))
# XML
xml = {}
for f in glob.glob(os.path.join(xml_dir, '*.xml')):
    i = ET.parse(f).getroot().find('interface'); n = i.get('name').split('.')[-1]
    assert f.endswith('org.sipsimple.%s.xml' % n), f
    assert len(ET.parse(f).getroot().findall('interface')) == 1
    xml[n] = {'props': {p.get('name'): (p.get('type'), p.get('access')) for p in i.findall('property')},
              'methods': {m.get('name'): [(a.get('direction'), a.get('type'), a.get('name')) for a in m.findall('arg')] for m in i.findall('method')},
              'signals': {s.get('name'): [(a.get('type'), a.get('name')) for a in s.findall('arg')] for s in i.findall('signal')}}
errs = []; n_checked = 0
for iface, d in spec.items():
    x = xml.get(iface)
    if not x: errs.append('no XML for ' + iface); continue
    for p, (t, rw) in d['props'].items():
        n_checked += 1
        if p not in x['props']: errs.append('%s: missing property %s' % (iface, p)); continue
        if x['props'][p] != (t, rw): errs.append('%s.%s: spec %s/%s xml %s' % (iface, p, t, rw, x['props'][p]))
    for mname, (al, rt, rn) in d['methods'].items():
        n_checked += 1
        if mname not in x['methods']: errs.append('%s: missing method %s' % (iface, mname)); continue
        xa = x['methods'][mname]
        ins = [(t, n) for dr, t, n in xa if dr == 'in']; outs = [(t, n) for dr, t, n in xa if dr == 'out']
        if [t for t, _ in al] != [t for t, _ in ins] or any(sn and sn != xn for (_, sn), (_, xn) in zip(al, ins)):
            errs.append('%s.%s: in args spec %s xml %s' % (iface, mname, al, ins))
        if (rt and [t for t, _ in outs] != [rt]) or (not rt and outs) or (rn and outs[0][1] != rn):
            errs.append('%s.%s: out spec %s %s xml %s' % (iface, mname, rt, rn, outs))
    for sname, (al, _, _) in d['signals'].items():
        n_checked += 1
        if sname not in x['signals']: errs.append('%s: missing signal %s' % (iface, sname)); continue
        xa = x['signals'][sname]
        if xa[:1] != [('x', 'timestamp')]: errs.append('%s::%s: first arg not x timestamp' % (iface, sname))
        if [t for t, _ in al] != [t for t, _ in xa] or any(sn and sn != xn for (_, sn), (_, xn) in zip(al, xa)):
            errs.append('%s::%s: args spec %s xml %s' % (iface, sname, al, xa))
# extras in XML (additions)
extras = []
for iface, x in xml.items():
    for kind in ('props', 'methods', 'signals'):
        for nm in x[kind]:
            if nm not in spec.get(iface, {}).get(kind, {}): extras.append('%s %s.%s' % (kind, iface, nm))
print('checked', n_checked, 'items of the contract')
print('additions in the XML:', ', '.join(extras) or 'none')
for e in errs:
    print('MISMATCH:', e)
if n_checked < 150:
    errs.append('only %d items found in the spec: the parser no longer understands it' % n_checked)
    print(errs[-1])
sys.exit(1 if errs else 0)
