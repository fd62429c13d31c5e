"""A simulated CloudWatch agent: a host's log files shipped to log groups, and its memory and disk metrics.

The agent runs on a lab EC2 instance (``host="i-..."``, while the instance is running) or on an "on-premises
server" (any other name: a hostname, always running), Linux or Windows. It reads the agent's JSON configuration
file as AWS documents it ("Manually create or edit the CloudWatch agent configuration file",
UG:CloudWatch-Agent-Configuration-File-Details), of which the lab honours:

* ``agent``: ``metrics_collection_interval`` (seconds, default 60), ``omit_hostname``;
* ``metrics``: ``namespace`` (default ``CWAgent``), ``append_dimensions`` (``${aws:InstanceId}``,
  ``${aws:InstanceType}``, ``${aws:ImageId}``, ``${aws:AutoScalingGroupName}``), ``metrics_collection_interval``,
  and in ``metrics_collected``: Linux ``mem`` (``mem_used_percent``, ``mem_available_percent``), ``swap``
  (``swap_used_percent``), ``disk`` (``used_percent``, ``free``...: see ``_LINUX``) with ``resources``;
  Windows ``Memory`` (``% Committed Bytes In Use``, ``Available MBytes``) and ``LogicalDisk`` (``% Free Space``);
* ``logs.logs_collected.files.collect_list``: ``file_path``, ``log_group_name``, ``log_stream_name`` (placeholders
  ``{instance_id}``, ``{hostname}``, ``{local_hostname}``, ``{ip_address}``; default the instance id or the
  hostname), ``retention_in_days``; ``logs.logs_collected.windows_events.collect_list``: ``event_name``,
  ``event_levels``, ``log_group_name``, ``log_stream_name``; ``logs.log_stream_name`` as the default.

Metric names and dimensions follow what the agent publishes: Linux ``mem_used_percent`` with ``host``,
``disk_used_percent`` with ``device``, ``fstype``, ``path`` and ``host``; Windows ``Memory % Committed Bytes In
Use`` with ``objectname`` and ``host``, ``LogicalDisk % Free Space`` with ``instance`` and ``objectname``. The
``host`` dimension is left out when ``append_dimensions`` is set or ``omit_hostname`` is true.

What the host writes (the "workload"): a file whose path contains ``access`` gets Apache common-log lines
(one every 10 s: mostly 200s, some 304, 404, 403 and 500), ``messages``/``syslog`` syslog lines (one a
minute), ``secure``/``auth.log`` sshd lines (one every 5 minutes), Windows event logs one event every two
minutes; any other file only what :meth:`AgentMixin.append_host_log` writes. Lines are a pure function of
(host, file, second), so a run is reproducible; values come from md5 noise as the EC2 workload's do.

*Choices*: the agent creates its log groups and streams directly (the real agent calls CreateLogGroup and
CreateLogStream as the instance's role); an event is ingested 5 seconds after it was written (the agent's
default ``force_flush_interval``); Windows events are written as one text line
``[Log] [LEVEL] [event id] [source] [host] message``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from awslab.errors import AWSError

from . import events, groups

if TYPE_CHECKING:
    from awslab.lab import Lab

DEFAULT_NAMESPACE = "CWAgent"
_NAMESPACE = re.compile(r"[0-9A-Za-z.\-_/#: ]{1,255}")
FLUSH = timedelta(seconds=5)
RATES = {"apache": 10, "syslog": 60, "auth": 300, "windows": 120}
"""Seconds between two generated lines of each kind of file."""

TABLES = {
    "logs_agents": "one row per host running the simulated CloudWatch agent: its configuration and how far it "
                   "has shipped",
    "logs_agent_files": "one row per log file (or Windows event log) an agent ships: its kind and destination",
    "logs_host_lines": "lines written to a host's log files with append_host_log, waiting for the agent",
    "logs_agent_instances": "what CloudWatch Logs' agent knows of lab EC2 instances (state intervals, type, image)",
    "logs_agent_batch": "scratch (temporary): the lines an agent is shipping in the current batch",
}

CREATE = [
    """CREATE TABLE IF NOT EXISTS logs_agents (
        host_id VARCHAR NOT NULL, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,           -- ec2 or on-premises
        platform VARCHAR NOT NULL,       -- linux or windows
        hostname VARCHAR NOT NULL,
        config VARCHAR NOT NULL,         -- the agent's JSON configuration
        installed_at TIMESTAMPTZ NOT NULL,
        shipped_until TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS logs_agent_files (
        host_id VARCHAR NOT NULL, file_path VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,           -- apache, syslog, auth, windows or custom
        log_group VARCHAR NOT NULL, log_stream VARCHAR NOT NULL,
        levels VARCHAR)                  -- Windows event levels shipped (JSON list), NULL for files""",
    """CREATE TABLE IF NOT EXISTS logs_host_lines (
        host_id VARCHAR NOT NULL, file_path VARCHAR NOT NULL, timestamp TIMESTAMPTZ NOT NULL,
        n BIGINT NOT NULL, line VARCHAR NOT NULL, shipped BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS logs_agent_instances (
        instance_id VARCHAR NOT NULL, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        state VARCHAR, entered_at TIMESTAMPTZ,     -- one row per state the instance entered (NULL: description)
        instance_type VARCHAR, image_id VARCHAR, platform VARCHAR, private_dns VARCHAR, private_ip VARCHAR,
        asg_name VARCHAR)""",
]

NOISE = "(md5_number({seed} || '/' || {key} || '/' || CAST({t} AS VARCHAR)) >> 96)::DOUBLE / 4294967296.0"


def _noise(seed: str, key: str, t: str) -> str:
    return NOISE.format(seed=seed, key=f"'{key}'", t=t)


# ------------------------------------------------------------------------------------------------ generated lines
# What a host writes at instant ``ts`` in a file of each kind: SQL over the columns ``ts``, ``host`` (its
# hostname), ``f`` (the file path or event log name) and two independent noises ``n`` and ``m`` in [0, 1).
LINES = {
    "apache": """
        '198.51.100.' || (1 + floor(m * 250)::INT) || ' - - [' || strftime(ts, '%d/%b/%Y:%H:%M:%S +0000') || '] "'
        || (CASE WHEN m < 0.15 THEN 'POST' ELSE 'GET' END) || ' '
        || (CASE WHEN n < 0.75 THEN ['/', '/index.html', '/products', '/cart', '/api/orders',
                                     '/images/logo.png'][1 + floor(m * 6)::INT]
                 WHEN n < 0.83 THEN '/images/logo.png'
                 WHEN n < 0.93 THEN ['/favicon.ico', '/old-page.html', '/wp-login.php'][1 + floor(m * 3)::INT]
                 WHEN n < 0.95 THEN '/admin'
                 ELSE '/api/orders' END)
        || ' HTTP/1.1" '
        || (CASE WHEN n < 0.75 THEN '200 ' || (500 + floor(m * 20000)::INT)
                 WHEN n < 0.83 THEN '304 -'
                 WHEN n < 0.93 THEN '404 209'
                 WHEN n < 0.95 THEN '403 199'
                 ELSE '500 531' END)""",
    "syslog": """
        strftime(ts, '%b %d %H:%M:%S') || ' ' || host || ' '
        || (CASE WHEN n < 0.5 THEN 'systemd[1]: Started Session ' || (1 + floor(m * 900)::INT) || ' of user ec2-user.'
                 WHEN n < 0.8 THEN 'dhclient[' || (800 + floor(m * 99)::INT) || ']: XMT: Solicit on eth0, interval 1'
                 WHEN n < 0.97 THEN 'CROND[' || (2000 + floor(m * 999)::INT)
                                    || ']: (root) CMD (run-parts /etc/cron.hourly)'
                 ELSE 'kernel: Out of memory: Killed process ' || (3000 + floor(m * 999)::INT) || ' (java)' END)""",
    "auth": """
        strftime(ts, '%b %d %H:%M:%S') || ' ' || host || ' sshd[' || (4000 + floor(m * 999)::INT) || ']: '
        || (CASE WHEN n < 0.6 THEN 'Failed password for invalid user '
                                   || ['admin', 'test', 'oracle', 'ubuntu'][1 + floor(m * 4)::INT]
                                   || ' from 203.0.113.' || (1 + floor(m * 250)::INT)
                 ELSE 'Accepted publickey for ec2-user from 198.51.100.7' END)
        || ' port ' || (40000 + floor(n * 20000)::INT) || ' ssh2'""",
    "windows": """
        '[' || f || '] [' || (CASE WHEN n < 0.8 THEN 'INFORMATION' WHEN n < 0.95 THEN 'WARNING' ELSE 'ERROR' END)
        || '] [' || (CASE WHEN n < 0.8 THEN '7036' WHEN n < 0.95 THEN '1014' ELSE '7000' END) || '] ['
        || (CASE WHEN n BETWEEN 0.8 AND 0.95 THEN 'Microsoft-Windows-DNS-Client' ELSE 'Service Control Manager' END)
        || '] [' || host || '] '
        || (CASE WHEN n < 0.8 THEN 'The Windows Update service entered the running state.'
                 WHEN n < 0.95 THEN 'Name resolution for the name time.windows.com timed out.'
                 ELSE 'The Print Spooler service failed to start due to the following error.' END)""",
}


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _kind_of(path: str) -> str:
    lowered = path.lower()
    if "access" in lowered:
        return "apache"
    if lowered.endswith(("secure", "auth.log")):
        return "auth"
    if lowered.endswith(("messages", "syslog")):
        return "syslog"
    return "custom"


# ------------------------------------------------------------------------------------------------ metrics
# (section, measurement) -> (metric name, unit, SQL for the value from a noise {n} in [0, 1) and {hours} installed)
_LINUX = {
    ("mem", "mem_used_percent"): ("mem_used_percent", "Percent", "35 + 25 * {n}"),
    ("mem", "used_percent"): ("mem_used_percent", "Percent", "35 + 25 * {n}"),
    ("mem", "mem_available_percent"): ("mem_available_percent", "Percent", "65 - 25 * {n}"),
    ("mem", "available_percent"): ("mem_available_percent", "Percent", "65 - 25 * {n}"),
    ("swap", "swap_used_percent"): ("swap_used_percent", "Percent", "2 * {n}"),
    ("swap", "used_percent"): ("swap_used_percent", "Percent", "2 * {n}"),
    ("disk", "used_percent"): ("disk_used_percent", "Percent", "least(95, 20 + {hours} / 24 + 0.5 * {n})"),
    ("disk", "disk_used_percent"): ("disk_used_percent", "Percent", "least(95, 20 + {hours} / 24 + 0.5 * {n})"),
    ("disk", "free"): ("disk_free", "Bytes", "8589934592 * (80 - least(75, {hours} / 24 + 0.5 * {n})) / 100"),
    ("disk", "inodes_free"): ("disk_inodes_free", "None", "4000000 - 1000 * {hours}"),
}
_WINDOWS = {
    ("Memory", "% Committed Bytes In Use"): ("Memory % Committed Bytes In Use", "Percent", "40 + 25 * {n}"),
    ("Memory", "Available MBytes"): ("Memory Available MBytes", "Megabytes", "4096 * (0.6 - 0.25 * {n})"),
    ("LogicalDisk", "% Free Space"): ("LogicalDisk % Free Space", "Percent",
                                      "greatest(5, 70 - {hours} / 24 - 0.5 * {n})"),
}


def _metric_specs(config: dict[str, Any], platform: str) -> list[tuple[str, str, str, dict[str, str]]]:
    """(metric name, unit, value SQL, fixed dimensions) for every measurement the configuration collects."""
    collected = (config.get("metrics") or {}).get("metrics_collected") or {}
    table = _WINDOWS if platform == "windows" else _LINUX
    specs = []
    for section, settings in collected.items():
        for item in (settings or {}).get("measurement", []):
            name = item["name"] if isinstance(item, dict) else item
            known = table.get((section, name))
            if known is None:
                simulated = sorted(f"{s}/{m}" for s, m in table)
                raise AgentConfigError(f"the lab's CloudWatch agent does not simulate {section}/{name} on {platform}; "
                                       f"it simulates {simulated}")
            metric, unit, value = known
            if isinstance(item, dict):
                metric, unit = item.get("rename", metric), item.get("unit", unit)
                if not isinstance(metric, str) or not metric or not isinstance(unit, str):
                    raise AgentConfigError(f"{section}/{name}: rename and unit must be strings")
            dimensions: dict[str, str] = {}
            if section == "disk":
                dimensions = {"device": "nvme0n1p1", "fstype": "xfs", "path": "/"}
            elif section == "LogicalDisk":
                dimensions = {"instance": "C:", "objectname": "LogicalDisk"}
            elif section == "Memory":
                dimensions = {"objectname": "Memory"}
            specs.append((metric, unit, value, dimensions))
    return specs


# ------------------------------------------------------------------------------------------------ configuration
class AgentConfigError(ValueError):
    """The agent's JSON configuration is not one the lab can run (the real agent refuses to start on it)."""


def _section(config: Any, *path: str) -> dict[str, Any]:
    """A nested object of the configuration, ``{}`` when absent; AgentConfigError when it is not an object."""
    node = config
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return {}
        if not isinstance(node, dict):
            raise AgentConfigError(f"'{'.'.join(path)}' must be a JSON object")
    return node


def _text(entry: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value:
        raise AgentConfigError(f"{where}: '{key}' must be a non-empty string")
    return value


def read_config(config: dict[str, Any], platform: str, placeholders: dict[str, str],
                default_stream: str) -> tuple[list[tuple[str, str, str, dict[str, str]]], list[tuple]]:
    """The metrics to publish and the files to ship, from the agent's JSON configuration.

    Files are (path, kind, log group, log stream, Windows levels as JSON or None, retention days or None).
    Raises :class:`AgentConfigError` naming what is wrong.
    """
    if not isinstance(config, dict):
        raise AgentConfigError("the agent configuration must be a JSON object")
    interval = _section(config, "metrics").get("metrics_collection_interval",
                                                _section(config, "agent").get("metrics_collection_interval", 60))
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise AgentConfigError("metrics_collection_interval must be a positive number of seconds")
    collected = _section(config, "metrics", "metrics_collected")
    for section, settings in collected.items():
        if not isinstance(settings, dict) or not isinstance(settings.get("measurement", []), list) or not all(
                isinstance(m, str) or (isinstance(m, dict) and isinstance(m.get("name"), str))
                for m in settings.get("measurement", [])):
            raise AgentConfigError(f"metrics_collected.{section}.measurement must be a list of names")
    specs = _metric_specs(config, platform)
    namespace = _section(config, "metrics").get("namespace", DEFAULT_NAMESPACE)
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace) or namespace.startswith("AWS/"):
        # PutMetricData's namespace rules (the agent publishes as a client, not as an AWS service)
        raise AgentConfigError(f"metrics.namespace {namespace!r} is not a namespace PutMetricData accepts")
    appended = _section(config, "metrics", "append_dimensions")
    if not all(isinstance(v, str) for v in appended.values()):
        raise AgentConfigError("metrics.append_dimensions values must be strings such as ${aws:InstanceId}")
    default = _section(config, "logs").get("log_stream_name", default_stream)

    def stream_name(entry: dict[str, Any], where: str) -> str:
        name = _text(entry, "log_stream_name", where, default)
        for key, value in placeholders.items():
            name = name.replace(key, value)
        return name

    def entries(kind: str) -> list[dict[str, Any]]:
        found = _section(config, "logs", "logs_collected", kind).get("collect_list", [])
        if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
            raise AgentConfigError(f"logs_collected.{kind}.collect_list must be a list of objects")
        return found

    def retention(entry: dict[str, Any], where: str) -> int | None:
        days = entry.get("retention_in_days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool)):
            raise AgentConfigError(f"{where}: retention_in_days must be a number of days")
        return days

    files: list[tuple] = []
    for k, entry in enumerate(entries("files")):
        where = f"files.collect_list[{k}]"
        path = _text(entry, "file_path", where)
        files.append((path, _kind_of(path), _text(entry, "log_group_name", where), stream_name(entry, where), None,
                      retention(entry, where)))
    for k, entry in enumerate(entries("windows_events")):
        where = f"windows_events.collect_list[{k}]"
        if platform != "windows":
            raise AgentConfigError("windows_events can only be collected on a Windows host")
        levels = entry.get("event_levels", ["ERROR", "WARNING", "INFORMATION"])
        if not isinstance(levels, list) or not all(isinstance(level, str) for level in levels):
            raise AgentConfigError(f"{where}: event_levels must be a list of level names")
        files.append((_text(entry, "event_name", where), "windows", _text(entry, "log_group_name", where),
                      stream_name(entry, where), json.dumps([level.upper() for level in levels]),
                      retention(entry, where)))
    return specs, files


# ------------------------------------------------------------------------------------------------ the mixin
class AgentMixin:
    """The agent's lab-level methods and its shipping job (mixed into LogsService)."""

    lab: "Lab"

    def install_cloudwatch_agent(self, host: str, config: dict[str, Any] | str, *, platform: str | None = None,
                                 region: str | None = None) -> dict[str, Any]:
        """Install (or reconfigure) the CloudWatch agent on ``host`` with its JSON ``config``.

        ``host`` is a lab EC2 instance id (``i-...``) or the name of an on-premises server; ``platform`` is
        ``linux`` or ``windows`` (an instance's own platform by default). The agent ships from now on.
        Returns what it will do: the files with their group and stream, the metrics with their namespace.

            >>> lab.install_cloudwatch_agent("web-1", {"logs": {"logs_collected": {"files": {"collect_list": [
            ...     {"file_path": "/var/log/httpd/access_log", "log_group_name": "/web/access"}]}}}})  # doctest: +SKIP
        """
        try:
            config = json.loads(config) if isinstance(config, str) else dict(config)
        except (ValueError, TypeError) as problem:
            raise AgentConfigError(f"the agent configuration is not a JSON object: {problem}") from None
        db, now = self.lab.db, self.lab.now
        region = region or self.lab.region
        account = self.lab.account_id
        instance = None
        if host.startswith("i-"):
            instance = db.execute("SELECT instance_type, image_id, platform, private_dns, private_ip, asg_name FROM "
                                  "logs_agent_instances WHERE instance_id = ? AND state IS NULL", [host]).fetchone()
            if instance is None:
                raise AgentConfigError(f"no lab EC2 instance {host}: launch it with run_instances first")
            platform = platform or ("windows" if instance[2] == "windows" else "linux")
            hostname = instance[3] or host
        else:
            hostname = host
        platform = platform or "linux"
        if platform not in ("linux", "windows"):
            raise AgentConfigError("platform must be 'linux' or 'windows'")
        placeholders = {"{instance_id}": host if instance else hostname, "{hostname}": hostname,
                        "{local_hostname}": hostname.split(".")[0],
                        "{ip_address}": (instance[4] if instance else None) or "10.0.0.10"}
        specs, files = read_config(config, platform, placeholders, "{instance_id}" if instance else "{hostname}")
        with self.lab.transaction():
            db.execute("DELETE FROM logs_agents WHERE host_id = ?", [host])
            db.execute("DELETE FROM logs_agent_files WHERE host_id = ?", [host])
            db.execute("INSERT INTO logs_agents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [host, region, account, "ec2" if instance else "on-premises", platform, hostname,
                        json.dumps(config), now, now])
            for path, kind, group, stream, levels, retention in files:
                try:
                    if groups.find_group(db, region, account, group) is None:
                        groups.create_group(db, region, account, group, now)
                    if retention not in (None, -1, 0):
                        groups.put_retention(db, region, account, group, retention)
                    groups.check_stream_name(stream)
                except AWSError as problem:  # what the real agent would log, and ship nothing
                    raise AgentConfigError(f"{group}/{stream}: {problem.code}: {problem.message}") from None
                groups.ensure_stream(db, region, account, group, stream, now)
                db.execute("INSERT INTO logs_agent_files VALUES (?, ?, ?, ?, ?, ?)", [host, path, kind, group, stream,
                                                                                      levels])
        namespace = _section(config, "metrics").get("namespace", DEFAULT_NAMESPACE)
        return {"host": host, "hostname": hostname, "platform": platform,
                "files": [{"file_path": f[0], "kind": f[1], "log_group_name": f[2], "log_stream_name": f[3]}
                          for f in files],
                "metrics": [{"namespace": namespace, "metric_name": s[0], "unit": s[1]} for s in specs]}

    def append_host_log(self, host: str, file_path: str, lines: list[str] | str, *, at: datetime | None = None) -> int:
        """Write ``lines`` to a file on ``host`` at ``at`` (default now); the agent ships them when time moves."""
        lines = lines.splitlines() if isinstance(lines, str) else list(lines)
        at = at or self.lab.now
        db = self.lab.db
        with self.lab.transaction():
            base = db.execute("SELECT coalesce(max(n), 0) FROM logs_host_lines").fetchone()[0]
            db.executemany("INSERT INTO logs_host_lines VALUES (?, ?, ?, ?, ?, FALSE)",
                           [(host, file_path, at, base + k + 1, line) for k, line in enumerate(lines)])
        return len(lines)

    # ------------------------------------------------------------------ what the agent hears of EC2
    def _on_instance_state(self, fact: dict[str, Any]) -> None:
        self.lab.db.execute("INSERT INTO logs_agent_instances (instance_id, region, account_id, state, entered_at) "
                            "VALUES (?, ?, ?, ?, ?)", [fact["instance_id"], fact["region"], fact["account_id"],
                                                        fact["state"], fact["time"]])

    def _on_resource_changed(self, fact: dict[str, Any]) -> None:
        if fact.get("resource_type") != "AWS::EC2::Instance":
            return
        c = fact.get("configuration") or {}
        db = self.lab.db
        db.execute("DELETE FROM logs_agent_instances WHERE instance_id = ? AND state IS NULL", [fact["resource_id"]])
        db.execute("INSERT INTO logs_agent_instances VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)",
                   [fact["resource_id"], fact["region"], fact["account_id"], c.get("instanceType"), c.get("imageId"),
                    c.get("platform"), c.get("privateDnsName"), c.get("privateIpAddress"),
                    (fact.get("tags") or {}).get("aws:autoscaling:groupName")])

    # ------------------------------------------------------------------ the shipping job
    def _ship_agents(self, until: datetime) -> None:
        db = self.lab.db
        agents = db.execute("SELECT host_id, region, account_id, kind, platform, hostname, config, installed_at, "
                            "shipped_until FROM logs_agents WHERE shipped_until < ? OR EXISTS (SELECT 1 FROM "
                            "logs_host_lines l WHERE l.host_id = logs_agents.host_id AND NOT l.shipped "
                            "AND l.timestamp <= ?)", [until, until]).fetchall()
        for host, region, account, kind, platform, hostname, config, installed, since in agents:
            running = self._running_sql(host, kind, since, until)
            for path, file_kind, group, stream, levels in db.execute(
                    "SELECT file_path, kind, log_group, log_stream, levels FROM logs_agent_files WHERE host_id = ?",
                    [host]).fetchall():
                self._ship_file(host, hostname, region, account, path, file_kind, group, stream, levels, running,
                                until)
            self._publish_metrics(host, hostname, region, account, platform, json.loads(config), installed, running)
            db.execute("UPDATE logs_agents SET shipped_until = ? WHERE host_id = ?", [until, host])

    def _running_sql(self, host: str, kind: str, since: datetime, until: datetime) -> str:
        """A subquery of the intervals (a, b] within (since, until] during which the host runs."""
        start, end = f"TIMESTAMPTZ {_q(since.isoformat())}", f"TIMESTAMPTZ {_q(until.isoformat())}"
        if kind != "ec2":
            return f"SELECT {start} AS a, {end} AS b"
        return f"""SELECT greatest(entered_at, {start}) AS a, least(coalesce(next_at, {end}), {end}) AS b
                   FROM (SELECT state, entered_at, lead(entered_at) OVER (ORDER BY entered_at) AS next_at
                         FROM logs_agent_instances WHERE instance_id = {_q(host)} AND state IS NOT NULL)
                   WHERE state = 'running' AND entered_at < {end} AND coalesce(next_at, {end}) > {start}"""

    def _ship_file(self, host: str, hostname: str, region: str, account: str, path: str, kind: str, group: str,
                   stream: str, levels: str | None, running: str, until: datetime) -> None:
        db = self.lab.db
        if groups.find_group(db, region, account, group) is None:
            groups.create_group(db, region, account, group, self.lab.now)
        groups.ensure_stream(db, region, account, group, stream, self.lab.now)
        generated = "SELECT NULL::TIMESTAMPTZ AS ts, NULL::VARCHAR AS line, 0 AS k WHERE FALSE"
        if kind in RATES:
            rate = RATES[kind]
            level_filter = ""
            if kind == "windows" and levels:
                level_filter = "WHERE " + " OR ".join(f"contains(line, {_q(f'] [{level}] [')})"
                                                      for level in json.loads(levels))
            noise = _noise(f"{_q(host)} || {_q(path)}", kind, "epoch(ts)")
            noise2 = _noise(f"{_q(host)} || {_q(path)}", kind + "2", "epoch(ts)")
            generated = f"""
                SELECT ts, line, 0 AS k FROM (
                    SELECT ts, {LINES[kind]} AS line
                    FROM (SELECT ts, {noise} AS n, {noise2} AS m, {_q(hostname)} AS host, {_q(path)} AS f
                          FROM (SELECT unnest(generate_series(
                                    make_timestamptz((floor(epoch(r.a) / {rate}) + 1)::BIGINT * {rate} * 1000000),
                                    r.b, INTERVAL '{rate} seconds')) AS ts
                                FROM ({running}) r WHERE r.b > r.a)))
                {level_filter}"""
        appended = ("SELECT timestamp AS ts, line, n AS k FROM logs_host_lines "
                    "WHERE host_id = ? AND file_path = ? AND NOT shipped AND timestamp <= ?")
        db.execute(f"""CREATE OR REPLACE TEMP TABLE logs_agent_batch AS
                       SELECT (row_number() OVER (ORDER BY ts, k) - 1) AS idx, epoch_ms(ts) AS ts_ms,
                              epoch_ms(least(ts + INTERVAL '{int(FLUSH.total_seconds())} seconds', ?)) AS ingested_ms,
                              line AS message
                       FROM ({generated} UNION ALL {appended})""", [until, host, path, until])
        db.execute("UPDATE logs_host_lines SET shipped = TRUE WHERE host_id = ? AND file_path = ? AND NOT shipped "
                   "AND timestamp <= ?", [host, path, until])
        count = db.execute("SELECT count(*) FROM logs_agent_batch").fetchone()[0]
        if not count:
            return
        batch = events.store_select(db, region, account, group, stream, "SELECT * FROM logs_agent_batch", [], count)
        self._publish_datapoints(batch)  # type: ignore[attr-defined]

    def _publish_metrics(self, host: str, hostname: str, region: str, account: str, platform: str,
                         config: dict[str, Any], installed: datetime, running: str) -> None:
        specs = _metric_specs(config, platform)
        if not specs:
            return
        metrics = config.get("metrics") or {}
        interval = int(metrics.get("metrics_collection_interval")
                       or (config.get("agent") or {}).get("metrics_collection_interval") or 60)
        namespace = metrics.get("namespace", DEFAULT_NAMESPACE)
        appended = metrics.get("append_dimensions") or {}
        omit_host = bool(appended) or bool((config.get("agent") or {}).get("omit_hostname"))
        instance = self.lab.db.execute(
            "SELECT instance_type, image_id, asg_name FROM logs_agent_instances "
            "WHERE instance_id = ? AND state IS NULL", [host]).fetchone() or (None, None, None)
        values = {"${aws:InstanceId}": host, "${aws:InstanceType}": instance[0], "${aws:ImageId}": instance[1],
                  "${aws:AutoScalingGroupName}": instance[2]}
        common = {} if omit_host else {"host": hostname}
        for key, value in appended.items():
            if values.get(value) is not None:  # the agent leaves out what the host does not have
                common[key] = values[value]
        every = (f"SELECT unnest(generate_series(make_timestamptz((floor(epoch(r.a) / {interval}) + 1)::BIGINT"
                 f" * {interval} * 1000000), r.b, INTERVAL '{interval} seconds')) AS ts "
                 f"FROM ({running}) r WHERE r.b > r.a")
        selects = []
        for metric, unit, value_sql, fixed in specs:
            dimensions = json.dumps(sorted(({"Name": k, "Value": v} for k, v in {**common, **fixed}.items()),
                                           key=lambda d: d["Name"]), separators=(",", ":"), ensure_ascii=False)
            value = value_sql.format(n=f"({_noise(_q(host), metric, 'epoch(ts)')})",
                                     hours=f"(epoch(ts - TIMESTAMPTZ {_q(installed.isoformat())}) / 3600.0)")
            selects.append(f"""SELECT {_q(namespace)} AS namespace, {_q(metric)} AS metric_name,
                                      {_q(dimensions)} AS dimensions, ts AS timestamp, {_q(unit)} AS unit,
                                      60 AS storage_resolution, v AS value, 1.0 AS count, 1.0 AS sample_count,
                                      v AS sum, v AS minimum, v AS maximum, ts AS received_at
                               FROM (SELECT ts, ({value})::DOUBLE AS v FROM ({every}))""")
        self.lab.hub.publish("metric_data", {"datapoints_sql": "\nUNION ALL\n".join(selects), "params": [],
                                             "region": region, "account_id": account})
