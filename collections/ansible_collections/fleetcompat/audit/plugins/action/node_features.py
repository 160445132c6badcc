# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.node_features: run the gatherer on the host under a deadline that is
enforced on the host itself.

Ansible's task `timeout` only stops the controller's worker: the module process on the host stays blocked (a FIFO
under the gather root, an interpreter that never answers) after the task has failed. async_wrapper would kill the
module at its limit, but it is itself started by the host's interpreter (so a hung interpreter still blocks the
task) and its status polling adds at least one poll interval to every run. Instead, with `timeout: N`, every
command this action runs on the host (interpreter discovery, the module itself, tmp dir handling) runs under
coreutils/busybox `timeout(1)`, which puts itself in a new process group and, after N s, sends SIGTERM and then
SIGKILL to that whole group: the module, the interpreter (and a wrapper script's children) end, and the task
ends with "gather timed out after N s" for this host only.
"""

from __future__ import annotations

import shlex
import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.validation import check_type_int
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

# Exit codes of `timeout -k`: SIGTERM ended the command (124), or SIGKILL was needed and ended the group (137).
TIMED_OUT_RC = (124, 137)
KILL_AFTER_S = 5  # after SIGTERM, SIGKILL for whatever ignores it


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True  # async_wrapper then bounds the module with its own limit, instead of `timeout`
    _deadline = 0  # seconds every command on the host may run; 0: no limit

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        try:
            deadline = check_type_int(module_args.pop("timeout", 0))
        except TypeError as exc:
            raise AnsibleActionFail(f"timeout: {exc}") from None
        if deadline < 0:
            raise AnsibleActionFail(f"timeout: {deadline} is negative (0 means no limit)")
        wrap_async = self._task.async_val
        self._deadline = 0 if wrap_async else deadline
        started = time.monotonic()
        result = merge_hash(result, self._execute_module(module_args=module_args, task_vars=task_vars,
                                                         wrap_async=wrap_async))
        if self._deadline and result.get("rc") in TIMED_OUT_RC and time.monotonic() - started >= self._deadline:
            result = {"failed": True, "changed": False, "timedout": {"period": self._deadline},
                      "msg": f"gather timed out after {self._deadline} s (stopped on the host)"}
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _low_level_execute_command(self, cmd, sudoable=True, in_data=None, executable=None, **kwargs):
        if self._deadline:
            shell = executable or self._play_context.executable
            cmd = f"timeout -k {KILL_AFTER_S} {self._deadline} {shlex.quote(shell)} -c {shlex.quote(cmd)}"
        return super()._low_level_execute_command(cmd, sudoable, in_data, executable, **kwargs)
