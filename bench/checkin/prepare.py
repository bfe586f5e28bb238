#!/usr/bin/env python3
"""Prepares N collection codes for the check-in benchmark through the product's own paths
(stdlib only), against a running `gradphoto demo`:

1. the first demo university's admin imports a synthetic roster of N students through the
   API (POST /api/universities/{id}/roster, CSV): master's students graduating in the open
   campaign's first target term, double certificate, so the campaign's rules say they must
   be photographed; resident ID numbers with valid check digits, each with its own masked
   form, so a code names exactly one roster student;
2. the admin reports the roster to the hosted registry (the reports page's button);
3. each student signs in at the registry's pages (school, ID number, name) and opens the
   page of their collection code, which issues it: the code text is read from the page.
   Done by P processes in parallel, each with one keep-alive connection.

Writes OUT_DIR/codes (one code a line, in student order) and OUT_DIR/token (a bearer token
of the demo's photographer, for the desk) and OUT_DIR/queues (the ids of the open campaign's
queues of today, one a line).

usage: prepare.py BASE_URL OUT_DIR N [PROCESSES]
"""
import datetime
import http.client
import json
import multiprocessing
import re
import sys
import time
import urllib.parse

PW = "gradphoto-demo"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉兰红文辉力斌波宁佳琳晨浩宇欣怡子涵思睿博雅"
# First two digits 11–65 (province codes), so every number is a plausible resident ID.
REGIONS = [f"{p}{c:02d}" for p in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
                                   41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 61, 62, 63, 64, 65)
           for c in (1, 2, 3, 4)]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def log(msg):
    print(f"prepare: {msg}", file=sys.stderr, flush=True)


class Conn:
    """One keep-alive connection with a cookie jar (a dict: every cookie here is Path=/ or
    /registry and never expires during a run)."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(3):
            try:
                self.c.request(method, path, body=body, headers=h)
                r = self.c.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if attempt == 2:
                    raise
                self.c.close()
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return r.status, r.getheader("Location"), data

    def form(self, path, fields):
        fields = {**fields, "csrf": self.cookies.get("gp_csrf", "")}
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def api(self, method, path, token=None, body=None, ctype="application/json"):
        h = {"Content-Type": ctype}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        s, _, data = self.request(method, "/api" + path, body, h)
        return s, data


def resident_id(i):
    """The i-th synthetic ID number: region, birth date, sequence, check digit. Region and
    sequence make the masked form (first four, last four) distinct for i < 120,000."""
    region = REGIONS[(i // 1000) % len(REGIONS)] + f"{(i // 1000) // len(REGIONS) % 100:02d}"
    birth = (datetime.date(1998, 1, 1) + datetime.timedelta(days=i % 1500)).strftime("%Y%m%d")
    first17 = f"{region}{birth}{i % 1000:03d}"
    check = CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]
    return first17 + check


def name(i):
    a, b = divmod(i, len(GIVEN) * len(GIVEN))
    b, c = divmod(b, len(GIVEN))
    return SURNAMES[a % len(SURNAMES)] + GIVEN[b] + GIVEN[c]


def roster_csv(n, dept, term, level):
    rows = ["学号,姓名,证件类型,证件号码,学历层次,学位类型,院系,预计毕业时间,毕业类型"]
    for i in range(n):
        rows.append(f"BENCH{i:07d},{name(i)},居民身份证,{resident_id(i)},{level},双证,{dept},{term},毕业")
    return ("\r\n".join(rows) + "\r\n").encode()


def fetch_codes(args):
    """Signs students [lo, hi) in at the registry and reads each one's code."""
    base, school, lo, hi = args
    c = Conn(base)
    c.request("GET", "/registry/sign-in")
    out = []
    for i in range(lo, hi):
        s, loc, body = c.form("/registry/sign-in",
                              {"school": school, "id_number": resident_id(i), "name": name(i)})
        if s != 303:
            raise SystemExit(f"prepare: registry sign-in of student {i} answered {s}: "
                             f"{body[:300].decode(errors='replace')}")
        s, _, body = c.request("GET", "/registry/archive")
        m = re.search(rb'href="/registry/enrolments/(\d+)"', body)
        if s != 200 or not m:
            raise SystemExit(f"prepare: no enrolment on the archive page of student {i} ({s})")
        s, _, body = c.request("GET", f"/registry/enrolments/{m.group(1).decode()}/code")
        m = re.search(rb'id="code-text"[^>]*>([^<]+)<', body)
        if s != 200 or not m:
            raise SystemExit(f"prepare: no code on the code page of student {i} ({s})")
        out.append(m.group(1).decode().strip())
    return out


def main():
    base, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    procs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    c = Conn(base)

    def login(user):
        s, data = c.api("POST", "/session", body={"username": user, "password": PW})
        if s != 200:
            raise SystemExit(f"prepare: API login of {user} answered {s}: {data[:300]}")
        return json.loads(data)

    admin = login("uni1-admin")
    tok, uid = admin["token"], admin["university_id"]
    s, data = c.api("GET", f"/universities/{uid}", tok)
    uni = json.loads(data)
    school = uni["university"]["code"]
    dept = uni["departments"][-1]["name"]
    s, data = c.api("GET", f"/universities/{uid}/campaigns", tok)
    campaign = next(x for x in json.loads(data) if x["status"] == "open")
    rules = campaign["rules"]
    term = rules["target_terms"][0]
    level = {"master": "硕士", "doctor": "博士", "bachelor": "本科", "associate": "专科"}[
        rules["levels"][0]]

    t0 = time.time()
    body = roster_csv(n, dept, term, level)
    s, data = c.api("POST", f"/universities/{uid}/roster", tok, body, "text/csv")
    if s != 200:
        raise SystemExit(f"prepare: roster import answered {s}: {data[:600]}")
    rep = json.loads(data)
    log(f"imported {rep['rows']} students ({rep['inserted']} new) into {dept} of {school} "
        f"({len(body) // 1024} KB CSV, {time.time() - t0:.1f} s)")

    # The report, from the university's page, signed in as its admin.
    t0 = time.time()
    c.request("GET", "/login")
    s, loc, data = c.form("/login", {"username": "uni1-admin", "password": PW, "next": "/"})
    if s != 303:
        raise SystemExit(f"prepare: page login answered {s}")
    s, loc, data = c.form(f"/universities/{uid}/registry-report", {})
    if s != 303 or "reported" not in (loc or ""):
        raise SystemExit(f"prepare: the registry report answered {s} {loc}: {data[:400]}")
    log(f"reported the roster to the registry ({time.time() - t0:.1f} s)")

    t0 = time.time()
    step = (n + procs - 1) // procs
    parts = [(base, school, lo, min(n, lo + step)) for lo in range(0, n, step)]
    with multiprocessing.Pool(len(parts)) as pool:
        codes = [code for part in pool.map(fetch_codes, parts) for code in part]
    if len(set(codes)) != n:
        raise SystemExit(f"prepare: {len(set(codes))} distinct codes for {n} students")
    log(f"{n} codes from the registry's pages in {time.time() - t0:.1f} s "
        f"({n / (time.time() - t0):.0f} students/s, {len(parts)} processes)")
    open(f"{out}/codes", "w").write("\n".join(codes) + "\n")

    desk = login("photographer")
    open(f"{out}/token", "w").write(desk["token"])
    queues = []
    cid = campaign["id"]
    s, _, data = c.request("GET", f"/campaigns/{cid}/onsite")
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    # The plan page links each queue's desk; today's session is listed first.
    for q in re.findall(rb'href="/onsite/queues/(\d+)/desk"', data):
        if int(q) not in queues:
            queues.append(int(q))
    if len(queues) < 2:
        raise SystemExit(f"prepare: expected the demo's queues on the plan page ({s})")
    open(f"{out}/queues", "w").write("\n".join(str(q) for q in queues[:2]) + "\n")
    log(f"desk token for the photographer; today's queues {queues[:2]} (China date {today})")


if __name__ == "__main__":
    main()
