"""--record and --replay on the lab: what the screen showed comes back, damage is named."""
import atexit
import os
import re
import shutil
import stat
import tempfile
import time

from harness import Dbfleet, Failure, Watch, dsn, lab, parse_age, record_frames, varint

from test_actions import _prompt_on, _victim

ROW = re.compile(r"^(pg\s+postgres\s+primary\s+ok\s.*?)\s+(\S+)\s+(\d+q \S+)\s*$", re.M)
_RECORDING = {}


def _figures(screen):
    """The pg row of the fleet pane without its AGE (which is now minus then), or None."""
    m = ROW.search(screen)
    return (re.sub(r"\s+", " ", m.group(1)), m.group(3)) if m else None


def _frames(data):
    """(start, type, end) of each frame of a whole recording."""
    out = [f[:3] for f in record_frames(data)]
    if not out or out[-1][2] != len(data):
        raise Failure("the recording is not whole frames")
    return out


def _record():
    """Record a session once: the pg primary and its replica, a cancelled query, the
    fleet pane's pg row captured with the time it was on screen. Shared by the tests."""
    if _RECORDING:
        return _RECORDING
    L = lab()
    tmp = tempfile.mkdtemp(prefix="dbfleet-rec-")
    atexit.register(shutil.rmtree, tmp, True)
    path = os.path.join(tmp, "session.rec")
    proc, pid = _victim("victim-rec")
    r = Watch([("pg", dsn(L["PG_PRIMARY_PORT"], db="app")), ("replica", dsn(L["PG_REPLICA_PORT"]))],
              args=["--record", path])
    seen = []
    try:
        r.d.wait_for(r"^pg\s+postgres\s+primary\s+ok")
        _prompt_on(r.d, pid, "c")
        r.d.keys("y")
        r.d.keys("6")
        r.d.wait_for(r"pg\s+cancel\s+pid %d \(victim\)\s+done" % pid)
        r.d.keys("8")
        entry = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+action\s+action\s+pg\s+cancel pid %d \(victim\): done.*$" % pid
        timeline = re.search(entry, r.d.wait_for(entry), re.M)
        r.d.keys("1")
        r.d.wait_for(r"^pg\s+postgres\s+primary\s+ok")
        for _ in range(4):  # the row as shown, with when it was on screen
            time.sleep(1.1)
            fig = _figures(r.d.screen())
            if fig:
                seen.append((time.time(), fig))
        r.d.quit_and_wait()
    finally:
        r.close()
        proc.kill()
    if len(seen) < 3:
        raise Failure("the live screen never showed the pg row: %r" % seen)
    _RECORDING.update(path=path, seen=seen, pid=pid, tmp=tmp, timeline=timeline.group(0).rstrip())
    return _RECORDING


def _copy(name, change):
    """A copy of the recording with 'change(bytearray)' applied; its path."""
    rec = _record()
    data = bytearray(open(rec["path"], "rb").read())
    change(data)
    path = os.path.join(rec["tmp"], name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _start(path):
    """The recording's first time: its header's (tag 2, zigzag milliseconds)."""
    _, _, _, payload = record_frames(open(path, "rb").read())[0]
    pos = 0
    while pos < len(payload):
        key, pos = varint(payload, pos)
        value, pos = varint(payload, pos)
        if key == (2 << 3):
            return ((value >> 1) ^ -(value & 1)) / 1000.0
    raise Failure("the header has no time")


def _utc(t):
    return time.strftime("%H:%M:%S", time.gmtime(t))


def test_recorded_session_replays_with_the_same_figures():
    rec = _record()
    assert stat.S_IMODE(os.stat(rec["path"]).st_mode) == 0o600
    d = Dbfleet(["--replay", rec["path"]])
    try:
        d.wait_for(r"REPLAY \d\d:\d\d:\d\dZ \S1")
        d.keys("Space")
        d.wait_for(r"\(paused\)")
        for at, fig in rec["seen"][1:3]:
            d.keys(":")
            d.type("goto %s" % _utc(at - 3))
            d.keys("Enter")
            d.wait_for(r"REPLAY %s" % _utc(at - 3))
            for _ in range(40):  # step record by record until the row the live screen showed
                if _figures(d.screen()) == fig:
                    break
                d.keys(".")
                time.sleep(0.15)
            else:
                raise Failure("the replay never showed %r near %s; screen:\n%s" % (fig, _utc(at), d.screen()))
        d.keys("6")  # the cancel and its outcome, as recorded
        d.wait_for(r"pg\s+cancel\s+pid %d \(victim\)\s+done" % rec["pid"])
        d.keys("8")  # the timeline's entry for it, with the time it had live
        s = d.wait_for(r"cancel pid %d \(victim\): done" % rec["pid"])
        assert rec["timeline"] in s, (rec["timeline"], s)
        d.keys(":")  # back to the start: the timeline holds nothing of later, then it comes again
        d.type("goto %s" % _utc(_start(rec["path"])))
        d.keys("Enter")
        d.wait_for(r"cancel pid %d \(victim\): done" % rec["pid"], gone=True)
        d.keys(":")
        d.type("goto %s" % _utc(rec["seen"][-1][0]))
        d.keys("Enter")
        s = d.wait_for(r"cancel pid %d \(victim\): done" % rec["pid"])
        assert rec["timeline"] in s, (rec["timeline"], s)
        d.keys("1")
        d.keys("+")
        d.wait_for(r"REPLAY \S+ \S2 \(paused\)")
        d.keys("4")
        d.keys("c")
        d.wait_for(r"replay: actions are off")
    finally:
        d.close()


def test_cut_file_plays_up_to_the_cut():
    frames = _frames(open(_record()["path"], "rb").read())
    start, _, end = frames[len(frames) * 2 // 3]
    path = _copy("cut.rec", lambda data: data.__delitem__(slice(start + (end - start) // 2, None)))
    d = Dbfleet(["--replay", path])
    try:
        s = d.wait_for(r"the file ends inside a record at byte %d \(after \d\d:\d\d:\d\dZ\): played up to the cut"
                       % start)
        d.keys("+", "+", "+", "+", "+", "+")
        s = d.wait_for(r"REPLAY (\d\d:\d\d:\d\d)Z \S64 \(paused\) \(end\) \| cut at \1Z", timeout=20)
        assert re.search(r"^pg\s+postgres\s+primary\s+ok", s, re.M), s
    finally:
        d.close()


def test_flipped_byte_is_reported_and_skipped():
    frames = _frames(open(_record()["path"], "rb").read())
    snaps = [f for f in frames if f[1] == 3]
    start, _, end = snaps[len(snaps) // 2]
    nxt = next(f[0] for f in frames if f[0] >= end)

    def flip(data):
        data[end - 2] ^= 0x40
    path = _copy("flipped.rec", flip)
    d = Dbfleet(["--replay", path])
    try:
        d.wait_for(r"damaged record at bytes %d-%d \(after \d\d:\d\d:\d\dZ\): skipped" % (start, nxt - 1))
        d.keys("+", "+", "+", "+", "+", "+")
        s = d.wait_for(r"REPLAY \S+ \S64 \(paused\) \(end\) \| 1 damaged record skipped \|", timeout=20)
        assert re.search(r"^pg\s+postgres\s+primary\s+ok", s, re.M), s
        assert re.search(r"^replica\s+postgres\s+replica\s+ok", s, re.M), s
    finally:
        d.close()


def test_replay_of_a_file_that_is_not_a_recording_says_so():
    tmp = tempfile.mkdtemp(prefix="dbfleet-rec-")
    try:
        path = os.path.join(tmp, "notes.txt")
        with open(path, "w") as f:
            f.write("03:12 the primary went away\n")
        d = Dbfleet(["--replay", path])
        try:
            d.wait_for(r"dbfleet: --replay: '.*notes.txt' is not a dbfleet record file")
            d.wait_for(r"^EXITED 2")
        finally:
            d.close()
    finally:
        shutil.rmtree(tmp)


def test_aws_side_replays_as_recorded():
    import awslab
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["pg1"])
    awslab.create_aurora("us-east-1", "au1", ["au1-a", "au1-b"])
    awslab.put_metric("us-east-1", "pg1", "CPUUtilization", 42.0)
    awslab.put_metric("us-east-1", "au1-b", "AuroraReplicaLag", 2500.0)
    tmp = tempfile.mkdtemp(prefix="dbfleet-rec-")
    path = os.path.join(tmp, "aws.rec")
    names = ("pg1", "au1-a", "au1-b")
    try:
        d = Dbfleet(["--aws", "--region", "us-east-1", "--record", path], width=160, height=50, env=awslab.env())
        try:
            d.wait_for(r"3 AWS instances", timeout=30)
            s = d.wait_for(r"^au1-b\s.*2\.5s")
            at = time.time()
            live = {l.split()[0]: l.rstrip() for l in s.splitlines() if l.split() and l.split()[0] in names}
            time.sleep(2)  # the replay goes to the second after 'at': the recording goes past it
            d.quit_and_wait()
        finally:
            d.close()
        d = Dbfleet(["--replay", path], width=160, height=50)
        try:
            d.keys("Space")
            d.keys(":")
            d.type("goto %s" % _utc(at + 1))  # the second after it was on screen: what was shown is in
            d.keys("Enter")
            s = d.wait_for(r"^au1-b\s.*2\.5s")
            shown = {l.split()[0]: l.rstrip() for l in s.splitlines() if l.split() and l.split()[0] in names}
            # the same rows; the metrics' age (a minute or more: "2m00s") as it was, give or take the
            # second the screen was read in
            assert set(shown) == set(live), (live, shown)
            age = re.compile(r"\b\d+m\d\ds\b")
            for name, row in live.items():
                a, b = age.findall(row), age.findall(shown[name])
                assert age.sub("AGE", row) == age.sub("AGE", shown[name]), (row, shown[name])
                assert all(abs(parse_age(x) - parse_age(y)) <= 3 for x, y in zip(a, b)), (row, shown[name])
        finally:
            d.close()
    finally:
        shutil.rmtree(tmp)
