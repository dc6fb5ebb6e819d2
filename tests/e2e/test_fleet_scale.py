"""The fleet at scale: problems first, counts, groups, the ':' line, filters, the mouse, uncut trees."""
import re
import socket

from harness import Dbfleet, SilentListener, dsn, lab, write_config


def dead_port():
    """A loopback port nobody listens on: connecting is refused, the target is down."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def colours_of(captured, text):
    """The (foreground, background) colours (0-7, None for the default) 'text' is drawn in, from
    capture-pane -e (tmux sends a colour once and keeps it across cells and lines)."""
    fg = bg = None
    for m in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b]+)", captured):
        if m.group(2) is not None:
            if text in m.group(2):
                return fg, bg
            continue
        for p in (m.group(1) or "0").split(";"):
            n = int(p or 0)
            fg = None if n in (0, 39) else n - 30 if 30 <= n <= 37 else fg
            bg = None if n in (0, 49) else n - 40 if 40 <= n <= 47 else bg
    raise AssertionError("%r not on screen" % text)


def fg_of(captured, text):
    return colours_of(captured, text)[0]


class Fleet:
    """pg-primary (prod) and pg-replica (staging) of the lab, 'gone' on a dead port and
    'blackhole' on a silent one (both team=search)."""

    def __init__(self, extra_targets=(), **kw):
        L = lab()
        self.hung = SilentListener()
        self.cfg = write_config([
            ("pg-primary", dsn(L["PG_PRIMARY_PORT"]), {"tags": "team=payments,env=prod"}),
            ("pg-replica", dsn(L["PG_REPLICA_PORT"]), {"tags": "team=payments,env=staging"}),
            ("gone", dsn(dead_port()), {"tags": "team=search"}),
            ("blackhole", dsn(self.hung.port), {"tags": "team=search"}),
        ] + list(extra_targets))
        self.d = Dbfleet(["-c", self.cfg], **kw)

    def settled(self):
        """Every target in its final state: the count line says so."""
        return self.d.wait_for(r"1 down\s+1 stalled\s+0 auth\s+2 ok", timeout=15)

    def type(self, text):
        self.d.tmux("send-keys", "-t", "0", "-l", text)

    def command(self, text):
        """':' then the text and Enter, as a person types it."""
        self.d.keys(":")
        self.d.wait_for(r"^:_", timeout=3)
        self.type(text)
        self.d.keys("Enter")

    def names(self, screen=None):
        """The NAME cells of the table, top to bottom."""
        lines = (screen or self.d.screen()).splitlines()
        head = next(i for i, l in enumerate(lines) if l.startswith("NAME"))
        return [l.split()[0] if l.split()[0] not in ("\u25be", "\u25b8") else " ".join(l.split()[:3])
                for l in lines[head + 1:-1] if l.strip()]

    def close(self):
        try:
            self.d.close()
        finally:
            self.hung.close()


def test_problems_first_with_a_coloured_count_line():
    f = Fleet()
    try:
        s = f.settled()
        # down, then stalled, then the healthy by name: not the config's order
        f.d.wait_for(r"^gone\s+postgres\s+DOWN")
        assert f.names() == ["gone", "blackhole", "pg-primary", "pg-replica"], f.d.screen()
        assert re.search(r"^ 1 down  1 stalled  0 auth  2 ok\s*$", s, re.M), s
        colours = f.d.tmux("capture-pane", "-p", "-e", "-t", "0")
        assert fg_of(colours, " 1 down") == 1, colours[:800]  # red
        assert fg_of(colours, "  2 ok") == 2, colours[:800]  # green
        assert fg_of(colours, "  0 auth") is None, colours[:800]  # nothing to see: dim, not red
        # ] and [ walk the targets in this order, from any pane
        f.d.keys("Home", "]", "]")
        f.d.wait_for(r"^ env prod \| ", timeout=3)
        f.d.keys("4")
        f.d.wait_for(r"sessions - pg-primary", timeout=3)
        f.d.keys("[")
        f.d.wait_for(r"sessions - blackhole", timeout=3)
        f.d.keys("1")
        # the user's sort still works: 's' cycles the columns round to NAME, 'r' reverses it
        f.d.keys(*["s"] * 12)
        s = f.d.wait_for(r"^NAME\u2191", timeout=3)
        assert f.names(s) == ["blackhole", "gone", "pg-primary", "pg-replica"], s
        f.d.keys("r")
        s = f.d.wait_for(r"^NAME\u2193", timeout=3)
        assert f.names(s) == ["pg-replica", "pg-primary", "gone", "blackhole"], s
    finally:
        f.close()


def test_group_by_tag_fold_and_unfold():
    f = Fleet()
    try:
        f.settled()
        f.command("group tag:team")
        s = f.d.wait_for(r"fleet - 4 targets, by tag:team")
        # the group holding the down target comes first, each header with its count and worst state
        assert re.search(r"^\u25be team=search \(2\)\s+down\b", s, re.M), s
        assert re.search(r"^\u25be team=payments \(2\)\s+ok\b", s, re.M), s
        assert f.names(s) == ["\u25be team=search (2)", "gone", "blackhole", "\u25be team=payments (2)",
                              "pg-primary", "pg-replica"], s
        f.d.keys("Home", "Down", "Space")  # on 'gone': its group folds
        s = f.d.wait_for(r"^\u25b8 team=search \(2\)", timeout=3)
        f.d.wait_for(r"^\s+gone\s", gone=True, timeout=3)
        assert "pg-primary" in s
        f.d.keys("Space")  # the cursor stayed on the header: it unfolds
        f.d.wait_for(r"^\s+gone\s", timeout=3)
        f.d.keys("z")  # every group folds
        s = f.d.wait_for(r"^\u25b8 team=payments \(2\)", timeout=3)
        assert f.names(s) == ["\u25b8 team=search (2)", "\u25b8 team=payments (2)"], s
        f.d.keys("z")
        f.d.wait_for(r"^\s+pg-replica\s", timeout=3)
        f.d.wait_for(r"^\s+gone\s", timeout=3)
        # Enter on a header folds it too
        f.d.keys("Home", "Enter")
        f.d.wait_for(r"^\u25b8 team=search \(2\)", timeout=3)
        # t cycles the grouping; :group none ends it
        f.command("group none")
        f.d.wait_for(r"^gone\s+postgres", timeout=3)
        f.d.keys("t")
        f.d.wait_for(r"fleet - 4 targets, by cluster", timeout=3)
        f.d.wait_for(r"fleet grouped by cluster", timeout=3)
        # the replica sits in its primary's replication set
        f.d.wait_for(r"^\u25be pg-primary \(2\)[\s\S]*^\s+pg-primary\s[\s\S]*^\s+pg-replica\s", timeout=5)
        f.command("group colour")
        f.d.wait_for(r"cannot group by 'colour': use cluster, tag:KEY, region, account, engine or none", timeout=3)
    finally:
        f.close()


def test_target_jump_with_tab_completion():
    f = Fleet()
    try:
        f.settled()
        f.d.keys(":")
        f.type("target pg")
        f.d.keys("Tab")
        f.d.wait_for(r"^:target pg-primary_", timeout=3)
        f.d.keys("Tab")
        f.d.wait_for(r"^:target pg-replica_", timeout=3)
        f.d.keys("Tab")  # cycles back
        f.d.wait_for(r"^:target pg-primary_", timeout=3)
        f.d.keys("Tab")
        f.d.wait_for(r"^:target pg-replica_", timeout=3)
        f.d.keys("Enter")
        # selected: the status bar wears its environment, and the sessions pane shows it
        f.d.wait_for(r"^ env staging \| ", timeout=3)
        assert colours_of(f.d.tmux("capture-pane", "-p", "-e", "-t", "0"), " env staging |") == (0, 3)
        f.d.keys("4")
        f.d.wait_for(r"sessions - pg-replica", timeout=3)
        # Backspace and C-u edit; a verb completes too
        f.d.keys(":")
        f.type("tarXX")
        f.d.keys("BSpace", "BSpace", "Tab")
        f.d.wait_for(r"^:target _", timeout=3)
        f.type("junk")
        f.d.keys("C-u")
        f.d.wait_for(r"^:_", timeout=3)
        f.type("target pg-primary")
        f.d.keys("Enter")
        f.d.wait_for(r"fleet - 4 targets", timeout=3)
        f.d.wait_for(r"^ env prod \| ", timeout=3)
        # production wears red, staging yellow: never one for the other
        assert colours_of(f.d.tmux("capture-pane", "-p", "-e", "-t", "0"), " env prod |") == (7, 1)
        f.d.keys("4")
        f.d.wait_for(r"sessions - pg-primary", timeout=3)
        # Esc cancels: nothing jumps
        f.d.keys("1", ":")
        f.type("target gone")
        f.d.keys("Escape")
        f.d.wait_for(r"^:", gone=True, timeout=3)
        f.d.keys("4")
        f.d.wait_for(r"sessions - pg-primary", timeout=3)
        f.command("target nosuch")
        f.d.wait_for(r"no target named 'nosuch' \(Tab completes names\)", timeout=3)
        f.command("frobnicate now")
        f.d.wait_for(r"unknown command ':frobnicate': target NAME, group BY, filter \[TERMS\], triage", timeout=3)
        # hostile input is not sent to the terminal: control bytes are dropped, the rest is text
        f.d.keys(":")
        f.type("target \x07\x1b")
        f.d.wait_for(r"^:", gone=True, timeout=3)  # ESC closed it, the BEL did nothing
        f.command("q")
        f.d.wait_for(r"^EXITED 0", timeout=3)
    finally:
        f.close()


def test_filter_by_state_then_clear():
    f = Fleet()
    try:
        f.settled()
        f.d.keys("F")
        f.d.wait_for(r"^:filter _", timeout=3)
        f.type("state=down")
        f.d.keys("Enter")
        s = f.d.wait_for(r"fleet - 4 targets, :filter state=down \(1 match\)", timeout=3)
        assert f.names(s) == ["gone"], s
        assert re.search(r"^ 1 down  1 stalled  0 auth  2 ok", s, re.M), s  # the counts stay the fleet's
        f.command("filter tag:team=payments name=pg-*")
        s = f.d.wait_for(r":filter tag:team=payments name=pg-\* \(2 match\)", timeout=3)
        assert f.names(s) == ["pg-primary", "pg-replica"], s
        f.command("filter colour=red")
        f.d.wait_for(r"filter: unknown field 'colour'", timeout=3)
        f.command("filter")
        s = f.d.wait_for(r"fleet - 4 targets\s+- ", timeout=3)
        assert f.names(s) == ["gone", "blackhole", "pg-primary", "pg-replica"], s
    finally:
        f.close()


def x10(button, x, y):
    """An xterm X10 mouse report (what ncurses reads for kmous=\\E[M), as hex bytes for send-keys -H."""
    return ["1b", "5b", "4d"] + ["%02x" % (32 + v) for v in (button, x + 1, y + 1)]


def test_mouse_click_selects_a_row_and_a_tab():
    """tmux passes the xterm mouse report typed into the pane as bytes: the path a real click takes."""
    f = Fleet()
    try:
        s = f.settled()
        y = next(i for i, l in enumerate(s.splitlines()) if l.startswith("pg-replica "))
        f.d.tmux("send-keys", "-t", "0", "-H", *(x10(0, 3, y) + x10(3, 3, y)))
        f.d.wait_for(r"^ env staging \| ", timeout=3)
        tab = f.d.screen().splitlines()[0].index("4 sessions")
        f.d.tmux("send-keys", "-t", "0", "-H", *(x10(0, tab + 2, 0) + x10(3, tab + 2, 0)))
        f.d.wait_for(r"sessions - pg-replica", timeout=3)
        f.d.keys("1")
        s = f.d.wait_for(r"^pg-primary ", timeout=3)
        y = next(i for i, l in enumerate(s.splitlines()) if l.startswith("pg-primary "))
        click = x10(0, 3, y) + x10(3, 3, y)
        f.d.tmux("send-keys", "-t", "0", "-H", *(click + click))  # a double click opens, as Enter
        f.d.wait_for(r"pg-primary \(postgres, 127\.0\.0\.1:\d+\)", timeout=3)
        # a click closes it; the wheel moves the cursor three rows: from gone to pg-replica
        f.d.tmux("send-keys", "-t", "0", "-H", *(x10(0, 3, y) + x10(3, 3, y)))
        f.d.wait_for(r"pg-primary \(postgres, 127", gone=True, timeout=3)
        f.d.keys("Home")
        f.d.wait_for(r"^ 1 up|^ \d+ up", timeout=3)  # gone has no env: the plain status bar
        f.d.tmux("send-keys", "-t", "0", "-H", *x10(65, 3, y))
        f.d.wait_for(r"^ env staging \| ", timeout=3)
    finally:
        f.close()


def test_lag_pane_is_not_cut_at_256_rows():
    """300 targets: the lab's two and 298 on a dead port (the lab allows 40 connections)."""
    bulk = [("bulk-%03d" % i, dsn(dead_port())) for i in range(296)]
    f = Fleet(extra_targets=bulk)
    try:
        f.d.wait_for(r"fleet - 300 targets", timeout=10)
        f.d.wait_for(r"297 down", timeout=20)
        f.d.keys("2", "End")
        f.d.wait_for(r"^bulk-295\s", timeout=5)
        f.d.keys("1", "End")
        f.d.wait_for(r"^pg-replica\s", timeout=5)
    finally:
        f.close()
