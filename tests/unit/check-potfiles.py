#!/usr/bin/env python3
"""Every C file with a translatable string (_(...) or N_(...)) is listed in po/POTFILES.in,
and every listed file exists. Usage: check-potfiles.py SOURCE_ROOT"""
import glob
import os
import re
import sys

root = sys.argv[1]
listed = [l.strip() for l in open(os.path.join(root, 'po', 'POTFILES.in'))
          if l.strip() and not l.startswith('#')]
marked = sorted(p for d in ('src/*/*.c', 'daemon/*.c', 'tools/*.c')
                for p in (os.path.relpath(f, root) for f in glob.glob(os.path.join(root, d)))
                if re.search(r'\bN?_\(', open(os.path.join(root, p), encoding='utf-8').read()))
missing = [p for p in marked if p not in listed]
gone = [p for p in listed if not os.path.exists(os.path.join(root, p))]
for p in missing:
    print('not in po/POTFILES.in:', p)
for p in gone:
    print('listed but missing:', p)
print('%d files with translatable strings, %d listed' % (len(marked), len(listed)))
sys.exit(1 if missing or gone else 0)
