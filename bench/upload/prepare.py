#!/usr/bin/env python3
"""Takes a student of the running demo to the photo step, as a phone would (stdlib only):
SMS login (the code read from the demo inbox), school, ID number and level, the collection
code from the registry's page. Then writes what the load generator needs: the multipart
body of one upload of PHOTO, its content type, and the Cookie header of the session.

usage: prepare.py BASE_URL DEMO_LOG PHOTO OUT_DIR [PHONE]
"""
import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request
import uuid

base, demo_log, photo, out = sys.argv[1:5]
phone = sys.argv[5] if len(sys.argv) > 5 else "13912340000"

line = next(l for l in open(demo_log, encoding="utf-8") if "a student to sign in as:" in l)
rest = line.split("a student to sign in as:")[1]
school = re.search(r"\(([^)]+)\)", rest).group(1)
field = lambda k: re.search(k + r" ([^,\n]+)", rest).group(1).strip()
id_number, level, name = field("ID"), field("level"), field("name")

jar = http.cookiejar.CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def get(path):
    try:
        return opener.open(base + path).read().decode()
    except urllib.error.HTTPError as e:
        return e.read().decode()


def csrf():
    return next(c.value for c in jar if c.name == "gp_csrf")


def post(path, fields, expect=(200, 303)):
    data = urllib.parse.urlencode({**fields, "csrf": csrf()}).encode()
    try:
        r = opener.open(urllib.request.Request(base + path, data=data))
        status, body = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    if status not in expect:
        sys.exit(f"prepare: POST {path} answered {status}: {body[:400]}")
    return body


def multipart(fields, files):
    boundary = "gradphoto-bench-" + uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, (fname, data) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{fname}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n").encode()
        parts.append(head + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# The code from the registry's page (the student signs in there first).
get("/registry/sign-in")
post("/registry/sign-in", {"school": school, "id_number": id_number, "name": name})
archive = get("/registry/archive")
enrolment = re.search(r'href="(/registry/enrolments/\d+)"', archive).group(1)
page = get(enrolment + "/code")
code = re.search(r'id="code-text"[^>]*>([^<]+)<', page).group(1).strip()

# SMS login, school, identity, code.
get("/student/login")
post("/student/login", {"action": "send", "phone": phone})
inbox = get("/demo/sms-inbox")
sms = re.search(phone + r".*?code is (\d{6})", inbox, re.S).group(1)
post("/student/login", {"action": "login", "phone": phone, "code": sms,
                        "agree_terms": "1", "agree_face": "1"}, expect=(303,))
post("/student/school", {"school": school}, expect=(303,))
post("/student/identity", {"id_number": id_number, "level": level}, expect=(303,))
body, ctype = multipart({"code": code, "csrf": csrf()}, {})
try:
    opener.open(urllib.request.Request(base + "/student/code", data=body, headers={"Content-Type": ctype}))
    sys.exit("prepare: binding the code did not redirect")
except urllib.error.HTTPError as e:
    if e.code != 303:
        sys.exit(f"prepare: binding the code answered {e.code}: {e.read().decode()[:400]}")
if 'id="photo-submit"' not in get("/student"):
    sys.exit("prepare: the student did not reach the photo step")

body, ctype = multipart({"csrf": csrf()}, {"photo": ("me.jpg", open(photo, "rb").read())})
open(f"{out}/body", "wb").write(body)
open(f"{out}/content-type", "w").write(ctype)
open(f"{out}/cookie", "w").write("; ".join(f"{c.name}={c.value}" for c in jar))
print(f"prepare: {name[0]}* of {school} is at the photo step; upload body {len(body)} bytes")
