#!/usr/bin/python3
"""dav-query.py FILE QUERY — reads a WebDAV XML answer (t-dav.sh) and prints
what QUERY asks, one item a line. Exit 1 when FILE is not well-formed XML.

  hrefs                   every <D:response>'s href, in order
  prop HREF NS NAME       the text of property NS NAME of HREF's 200 propstat
                          (its inner XML when it has elements), or nothing
  status HREF NS NAME     the status code of the propstat holding NS NAME
  error                   the local names of a <D:error>'s children
  count                   the number of <D:response> elements
  locktoken               the first activelock's locktoken href
"""
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

D = "{DAV:}"


def main():
    try:
        root = ET.parse(sys.argv[1]).getroot()
    except ET.ParseError as e:
        print("not XML: %s" % e)
        return 1
    q = sys.argv[2]
    args = sys.argv[3:]
    if q == "count":
        print(len(root.findall(D + "response")))
    elif q == "hrefs":
        for r in root.findall(D + "response"):
            print(r.findtext(D + "href"))
    elif q == "error":
        for c in root:
            print(c.tag.split("}")[-1])
    elif q == "locktoken":
        print(root.findtext(".//" + D + "activelock/" + D + "locktoken/" + D + "href"))
    elif q in ("prop", "status"):
        href, ns, name = args
        tag = "{%s}%s" % (ns, name) if ns else name
        for r in root.findall(D + "response"):
            if r.findtext(D + "href") != href:
                continue
            for ps in r.findall(D + "propstat"):
                el = ps.find(D + "prop/" + tag)
                if el is None:
                    continue
                code = ps.findtext(D + "status").split()[1]
                if q == "status":
                    print(code)
                elif code == "200":
                    print(escape(el.text or "") +
                          "".join(ET.tostring(c, encoding="unicode") for c in el))
    return 0


sys.exit(main())
