"""A reviewable draft Ansible playbook for the configuration-class hints of one image (`fleetcompat remediate`).

Only `ansible.builtin` modules: modules are loaded through /etc/modules-load.d (`copy`) plus `command: modprobe`,
unloaded through a /etc/modprobe.d blacklist plus `modprobe -r`; hugepages of the default x86-64 size (2Mi) through
`vm.nr_hugepages` in /etc/sysctl.d (`lineinfile`, then `sysctl -p`), other sizes through a systemd-tmpfiles entry
for their /sys/kernel/mm/hugepages pool. Hosts that need the same changes share one play.

Everything in a playbook is input to Ansible's templating, and the result file is input to us: only host names
and values that match strict patterns become YAML values; every hint text goes into comments, on one line with
control characters shown as `\\xNN`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from fleetcompat._format.shared import clean
from fleetcompat.errors import FleetcompatError
from fleetcompat.results.fleet import FleetResult, HostStatus, Status
from fleetcompat.results.remediation import MODULE_NAME, Action, ActionKind, HintClass

# Host names Ansible takes as plain patterns (no `{{`, `:`, `,`, `!`, `&`, `*`, `~`, spaces).
HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}\Z")
_SIZE = re.compile(r"^([0-9]{1,7})(Ki|Mi|Gi)\Z")
_KIB = {"Ki": 1, "Mi": 1024, "Gi": 1024 * 1024}
DEFAULT_HUGEPAGE_SIZE = "2Mi"  # what vm.nr_hugepages reserves on x86-64
SYSCTL_FILE = "/etc/sysctl.d/90-fleetcompat-hugepages.conf"
PROC_MODULES = "fleetcompat_proc_modules"


class RemediateError(FleetcompatError):
    """Nothing to write, or the result cannot be remediated (unknown image, no hints recorded)."""


@dataclass(frozen=True, slots=True)
class Play:
    hosts: tuple[str, ...]
    actions: tuple[Action, ...]
    manual: tuple[str, ...]  # configuration hints without an action: a person does these


@dataclass(frozen=True, slots=True)
class Draft:
    plays: tuple[Play, ...]
    skipped: tuple[str, ...]  # why hosts were left out (one line each)


def _one_line(text: str) -> str:
    return clean(" ".join(text.split()))


def _valid(action: Action) -> bool:
    if action.kind is ActionKind.HUGEPAGES:
        return bool(_SIZE.match(action.name)) and isinstance(action.count, int) and action.count > 0
    return bool(MODULE_NAME.match(action.name))


def plan_draft(result: FleetResult, alias: str) -> Draft:
    """Group the image's incompatible hosts by the configuration changes their closest set needs."""
    result.image(alias)  # FleetResultError for an unknown alias, listing the images
    plays: dict[tuple[tuple[Action, ...], tuple[str, ...]], list[str]] = {}
    skipped: list[str] = []
    unhinted = 0
    for host in result.hosts:
        outcome = host.outcomes[alias]
        if host.status is not HostStatus.OK or outcome.status is not Status.INCOMPATIBLE:
            continue
        if outcome.remediation is None:
            unhinted += 1
            continue
        configuration = [h for h in outcome.remediation.hints if h.hint_class is HintClass.CONFIGURATION]
        if not configuration:
            continue
        if not HOST_NAME.match(host.name):
            skipped.append(f"{host.name!a}: host name is not a plain Ansible host pattern")
            continue
        others = [h for h in outcome.remediation.hints if h.hint_class is not HintClass.CONFIGURATION]
        if others:
            skipped.append(f"{host.name}: also needs {', '.join(_one_line(h.text) for h in others)} "
                           "(configuration alone will not make it compatible; included anyway)")
        actions = tuple(dict.fromkeys(h.action for h in configuration if h.action is not None and _valid(h.action)))
        reserves = any(a.kind is ActionKind.HUGEPAGES for a in actions)  # then hugepages are enabled, too
        manual = tuple(dict.fromkeys(_one_line(h.text) for h in configuration if h.action is None
                                     and not (reserves and h.feature.lower() == "memory.hugepages")))
        plays.setdefault((actions, manual), []).append(host.name)
    if not plays:
        if unhinted:
            raise RemediateError(f"{alias}: {unhinted} incompatible hosts have no remediation hints (the result was "
                                 "written before fleetcompat recorded them); audit again")
        raise RemediateError(f"{alias}: no incompatible host needs a configuration change (see the hints in "
                             "`fleetcompat report` for software and hardware changes)")
    return Draft(tuple(Play(tuple(hosts), actions, manual) for (actions, manual), hosts in plays.items()),
                 tuple(skipped))


def _module_loaded(name: str, loaded: bool) -> str:
    test = "is not none" if loaded else "is none"
    return f"{PROC_MODULES}.stdout | regex_search('^{name} ', multiline=True) {test}"


def _tasks(action: Action) -> list[dict]:
    name = action.name
    if action.kind is ActionKind.LOAD_MODULE:
        return [
            {"name": f"Load kernel module {name} at boot",
             "ansible.builtin.copy": {"dest": f"/etc/modules-load.d/fleetcompat-{name}.conf", "content": f"{name}\n",
                                      "owner": "root", "group": "root", "mode": "0644"}},
            {"name": f"Load kernel module {name} now", "ansible.builtin.command": {"argv": ["modprobe", name]},
             "when": _module_loaded(name, False), "changed_when": True},
        ]
    if action.kind is ActionKind.UNLOAD_MODULE:
        return [
            {"name": f"Keep kernel module {name} from loading at boot",
             "ansible.builtin.copy": {"dest": f"/etc/modprobe.d/fleetcompat-blacklist-{name}.conf",
                                      "content": f"blacklist {name}\n", "owner": "root", "group": "root",
                                      "mode": "0644"}},
            {"name": f"Unload kernel module {name} now", "ansible.builtin.command": {"argv": ["modprobe", "-r", name]},
             "when": _module_loaded(name, True), "changed_when": True},
        ]
    size = _SIZE.match(name)
    assert size is not None and action.count is not None
    register = f"fleetcompat_hugepages_{name}"
    if name == DEFAULT_HUGEPAGE_SIZE:
        return [
            {"name": f"Reserve {action.count} hugepages of {name} at boot (vm.nr_hugepages)",
             "ansible.builtin.lineinfile": {"path": SYSCTL_FILE, "regexp": r"^\s*vm\.nr_hugepages\s*=",
                                            "line": f"vm.nr_hugepages = {action.count}", "create": True,
                                            "owner": "root", "group": "root", "mode": "0644"},
             "register": register},
            {"name": f"Reserve {action.count} hugepages of {name} now",
             "ansible.builtin.command": {"argv": ["sysctl", "-p", SYSCTL_FILE]}, "when": f"{register} is changed",
             "changed_when": True},
        ]
    kib = int(size[1]) * _KIB[size[2]]
    path = f"/etc/tmpfiles.d/fleetcompat-hugepages-{name}.conf"
    return [
        {"name": f"Reserve {action.count} hugepages of {name} at boot (systemd-tmpfiles)",
         "ansible.builtin.copy": {"dest": path,
                                  "content": f"w /sys/kernel/mm/hugepages/hugepages-{kib}kB/nr_hugepages - - - - "
                                             f"{action.count}\n",
                                  "owner": "root", "group": "root", "mode": "0644"},
         "register": register},
        {"name": f"Reserve {action.count} hugepages of {name} now",
         "ansible.builtin.command": {"argv": ["systemd-tmpfiles", "--create", path]},
         "when": f"{register} is changed", "changed_when": True},
    ]


def _play(alias: str, play: Play) -> dict:
    tasks: list[dict] = []
    if any(a.kind in (ActionKind.LOAD_MODULE, ActionKind.UNLOAD_MODULE) for a in play.actions):
        tasks.append({"name": "Read the loaded kernel modules",
                      "ansible.builtin.command": {"argv": ["cat", "/proc/modules"]}, "register": PROC_MODULES,
                      # a kernel without loadable modules has no /proc/modules: then modprobe says why, not this
                      "changed_when": False, "failed_when": False, "check_mode": False})
    for action in play.actions:
        tasks.extend(_tasks(action))
    if not tasks:  # only manual steps: the play still names the hosts, and says so when run
        tasks.append({"name": "Nothing here can be automated: see the comments above this play",
                      "ansible.builtin.debug": {"msg": "manual configuration needed (see the playbook's comments)"}})
    return {"name": f"Configure hosts for image {alias}", "hosts": list(play.hosts), "become": True,
            "gather_facts": False, "tasks": tasks}


class _Dumper(yaml.SafeDumper):
    """File contents as `|` blocks, as a person would write them."""


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def _comment(lines: Iterable[str]) -> str:
    return "".join(f"# {_one_line(line)}\n" if line else "#\n" for line in lines)


def render_playbook(result: FleetResult, alias: str, source: str) -> str:
    if not HOST_NAME.match(alias):
        raise RemediateError(f"image alias {alias!a} cannot name a play")
    draft = plan_draft(result, alias)
    image = result.image(alias)
    out = [_comment([f"DRAFT remediation for image {alias} ({image.reference}), written by fleetcompat remediate",
                     f"from {source}. Configuration changes only; review before running, first with --check --diff.",
                     *[f"note: {line}" for line in draft.skipped]])]
    for play in draft.plays:
        body = yaml.dump([_play(alias, play)], Dumper=_Dumper, sort_keys=False, allow_unicode=False, width=200)
        notes = [f"hosts: {len(play.hosts)}"] + [f"manual: {m}" for m in play.manual]
        out.append("\n" + _comment(notes) + body)
    return "---\n" + "".join(out)
