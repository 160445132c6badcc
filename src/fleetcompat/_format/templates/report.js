"use strict";
// The fleet matrix: filters, sorting, expandable profile rows and the drill-down, all built with DOM calls and
// textContent. Data strings come from hosts and registries and are never parsed as HTML.
(() => {
  const data = JSON.parse(document.getElementById("fleet-data").textContent);
  const SHORT = {compatible: "ok", incompatible: "fail", unreachable: "unreach", error: "error", "no-spec": "no spec",
                 waived: "waived"};
  // Sorting an image column puts the rows that need attention first.
  const RANK = {incompatible: 0, error: 1, unreachable: 2, "no-spec": 3, waived: 4, compatible: 5};
  const drift = data.drift || null;  // present when the report was rendered with --baseline
  const MEMBERS_PAGE = 200;
  const $ = (id) => document.getElementById(id);

  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  const rows = data.rows.map((row, index) => {
    const profile = row.p >= 0 ? data.profiles[row.p] : null;
    return {
      index, row, profile,
      label: profile ? profile.l : row.l,
      profileText: (profile ? profile.l + " " + JSON.stringify(profile.s) : row.l).toLowerCase(),
      statuses: row.o.map((o) => data.outcomes[o].s),
      names: row.m.map((m) => (m[0] + " " + (m[2] || "")).toLowerCase()),
      changes: row.d || {},  // image index -> [[member index, change index], ...]
    };
  });
  const state = {status: "", image: -1, group: -1, text: "", sort: "hosts", dir: -1, open: new Set(), pages: {},
                 selected: null, changed: false};

  // Members of a row whose cell changed since the baseline, in the image shown (or any image).
  function changedMembers(r) {
    const set = new Set();
    for (const [image, list] of Object.entries(r.changes)) {
      if (state.image >= 0 && Number(image) !== state.image) continue;
      for (const [member] of list) set.add(member);
    }
    return set;
  }

  function visibleMembers(r) {
    let members = r.row.m.map((_, i) => i);
    if (state.changed) {
      const changed = changedMembers(r);
      members = members.filter((i) => changed.has(i));
    }
    if (state.group >= 0) members = members.filter((i) => r.row.m[i][1].includes(state.group));
    if (state.text && !r.profileText.includes(state.text)) {
      members = members.filter((i) => r.names[i].includes(state.text));
    }
    return members;
  }

  function rowVisible(r) {
    if (!state.status) return true;
    if (state.image >= 0) return r.statuses[state.image] === state.status;
    return r.statuses.includes(state.status);
  }

  function sortKey(r) {
    if (state.sort === "hosts") return r.row.m.length;
    if (state.sort === "hardware") return r.label.toLowerCase();
    return RANK[r.statuses[Number(state.sort)]];
  }

  function compare(a, b) {
    const ka = sortKey(a), kb = sortKey(b);
    if (ka < kb) return -state.dir;
    if (ka > kb) return state.dir;
    return a.index - b.index;
  }

  function imageColumns() {
    return state.image >= 0 ? [state.image] : data.images.map((_, i) => i);
  }

  function sortHeader(key, text) {
    const th = h("th", {scope: "col", "data-sort": key});
    if (state.sort === key) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
    th.append(h("button", {type: "button", class: "sort", text, title: `sort by ${text}`, on: {click: () => {
      state.dir = state.sort === key ? -state.dir : (key === "hardware" ? 1 : -1);
      state.sort = key;
      render();
    }}}));
    return th;
  }

  function renderHead() {
    const head = $("matrix-head");
    head.replaceChildren(h("th", {scope: "col"}, h("span", {class: "muted", text: "±"})),
      sortHeader("hosts", "hosts"), sortHeader("hardware", "hardware"),
      ...imageColumns().map((i) => sortHeader(String(i), data.images[i].alias)));
  }

  function memberList(r, members) {
    const page = state.pages[r.index] || MEMBERS_PAGE;
    const list = h("ul", {class: "member-list"});
    for (const i of members.slice(0, page)) {
      const [name, groups, reason] = r.row.m[i];
      list.append(h("li", {class: "member"}, h("span", {class: "name", text: name}),
        groups.length ? h("span", {class: "groups", text: groups.map((g) => data.groups[g]).join(", ")}) : null,
        reason ? h("span", {class: "reason", text: reason}) : null));
    }
    const cell = h("td", {colspan: String(3 + imageColumns().length)}, list);
    if (members.length > page) {
      cell.append(h("button", {type: "button", class: "more", text: `show ${Math.min(MEMBERS_PAGE,
        members.length - page)} more of ${members.length - page}`, on: {click: () => {
        state.pages[r.index] = page + MEMBERS_PAGE;
        render();
      }}}));
    }
    return h("tr", {class: "members", "data-row": String(r.index)}, cell);
  }

  function render() {
    renderHead();
    const body = $("matrix-body");
    const out = [];
    let hosts = 0;
    const shown = rows.filter(rowVisible).map((r) => [r, visibleMembers(r)]).filter(([, m]) => m.length);
    shown.sort(([a], [b]) => compare(a, b));
    for (const [r, members] of shown) {
      hosts += members.length;
      const total = r.row.m.length;
      const open = state.open.has(r.index);
      const tr = h("tr", {class: "group", "data-row": String(r.index), "data-hosts": String(members.length)});
      tr.append(h("td", {}, h("button", {type: "button", class: "expand", "aria-expanded": String(open),
        title: open ? "hide hosts" : "show hosts", text: open ? "▾" : "▸", on: {click: () => {
          if (open) state.open.delete(r.index); else state.open.add(r.index);
          render();
        }}})));
      tr.append(h("td", {class: "hosts"},
        h("span", {class: "count", text: members.length === total ? `${total}` : `${members.length} of ${total}`}),
        h("span", {class: "first", text: total === 1 ? r.row.m[0][0] : `hosts · ${r.row.m[members[0]][0]}, …`})));
      tr.append(h("td", {class: "hw", text: r.label}));
      for (const i of imageColumns()) {
        const status = r.statuses[i];
        const known = data.outcomes[r.row.o[i]].k;  // an unreachable host's last known status: [status, age, at]
        const pressed = state.selected && state.selected[0] === r.index && state.selected[1] === i;
        const changed = (r.changes[i] || []).length;
        const delta = changed ? h("span", {class: "delta", "data-changed": String(changed),
          title: `changed since baseline: ${changed} of ${total} host(s)`, text: "Δ"}) : null;
        tr.append(h("td", {}, h("button", {type: "button", class: `cell st-${status}` + (changed ? " changed" : ""),
          "data-image": String(i), "aria-pressed": String(Boolean(pressed)),
          title: `${data.images[i].alias}: ${status}` + (known ? ` · last known ${known[0]} ${known[1]}` : "")
            + (changed ? ` (changed since baseline: ${changed} host(s))` : ""),
          text: SHORT[status] + (known ? ` · ${SHORT[known[0]]} ${known[1]}` : ""),
          on: {click: () => openDrill(r, i)}}), delta));
      }
      out.push(tr);
      if (open) out.push(memberList(r, members));
    }
    body.replaceChildren(...out);
    $("shown").textContent = `${shown.length} of ${rows.length} profiles · ${hosts} hosts`;
  }

  function kv(pairs) {
    const dl = h("dl", {class: "kv"});
    for (const [key, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      dl.append(h("dt", {text: key}), h("dd", {}, value instanceof Node ? value : String(value)));
    }
    return dl;
  }

  function deviceText(device) {
    if (device === null || typeof device !== "object") return String(device);
    const ids = [device.vendor, device.device].filter(Boolean).join(":");
    const rest = Object.entries(device).filter(([k]) => !["name", "vendor", "device"].includes(k))
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`);
    const head = device.name ? (ids ? `${device.name} (${ids})` : device.name) : (ids || "");
    return [head, ...rest].filter(Boolean).join(" · ");
  }

  function summaryValue(value) {
    if (Array.isArray(value)) {
      if (!value.length) return h("span", {class: "muted", text: "none"});
      const counts = new Map();  // identical devices (four equal NICs) are one line with a count
      for (const item of value) counts.set(deviceText(item), (counts.get(deviceText(item)) || 0) + 1);
      const ul = h("ul", {class: "devices"});
      for (const [text, n] of counts) ul.append(h("li", {text: n > 1 ? `${n}× ${text}` : text}));
      return ul;
    }
    if (value !== null && typeof value === "object") return kv(Object.entries(value).map(([k, v]) => [k, summaryValue(v)]));
    return document.createTextNode(String(value));
  }

  // The image's spec an outcome was evaluated with: its platform's, for a registry image audited per platform.
  function specOf(image, outcome) {
    const entry = image.platforms.find((p) => p.platform === (outcome.p === undefined ? null : outcome.p));
    return entry ? {...entry, sets: entry.sets.length ? entry.sets : image.sets} :
      {platform: null, subject: null, specSource: image.specSource, specDigest: image.specDigest, sets: image.sets};
  }

  function failingTable(image, outcome) {
    const wrap = h("div", {class: "failing"});
    const sets = specOf(image, outcome).sets;
    for (const [set, rule, lines] of outcome.f || []) {
      const info = sets.find((s) => s.index === set);
      const title = `set #${set + 1}` + (info ? ` (weight ${info.weight}${info.tag ? ", tag " + info.tag : ""})` : "") +
        ` · rule “${rule}”` + (info && info.description ? ` — ${info.description}` : "");
      const table = h("table", {class: "rule"}, h("caption", {text: title}),
        h("thead", {}, h("tr", {}, ...["feature", "expected", "host has", "note"].map((t) => h("th", {text: t})))));
      const tbody = h("tbody");
      for (const [label, expected, actual, note] of lines) {
        tbody.append(h("tr", {}, h("td", {class: "feature", text: label}), h("td", {class: "expected", text: expected}),
          h("td", {class: "actual", text: actual}), h("td", {class: "muted", text: note})));
      }
      table.append(tbody);
      wrap.append(table);
    }
    return wrap;
  }

  function waiverDetails(outcome) {
    const entry = (data.waivers || [])[outcome.w];
    const out = [h("h3", {text: `Waived: ${outcome.os}`})];
    if (!entry) return out;
    const scope = [entry.set !== null ? `set ${entry.set}` : "", entry.rule !== null ? `rule “${entry.rule}”` : ""];
    out.push(kv([["justification", entry.justification], ["owner", entry.owner], ["expires", entry.expires],
      ["ticket", entry.ticket], ["hosts", entry.hosts.join(", ")], ["only", scope.filter(Boolean).join(", ")],
      ["waiver", entry.source]]));
    return out;
  }

  // What changed since the baseline for this cell's hosts: one line per distinct change, with its causes.
  function changeDetails(r, i) {
    const byChange = new Map();
    for (const [member, change] of r.row.d[i]) {
      if (!byChange.has(change)) byChange.set(change, []);
      byChange.get(change).push(r.row.m[member][0]);
    }
    const list = h("ul", {class: "changes"});
    for (const [change, names] of byChange) {
      const [old, now, kind, causes] = drift.changes[change];
      const shown = names.slice(0, 10).join(", ") + (names.length > 10 ? `, … (+${names.length - 10})` : "");
      const item = h("li", {class: `change kind-${kind}`, text: `${old} → ${now} (${kind}): ${shown}`});
      const why = h("ul", {class: "causes"});
      for (const cause of causes.length ? causes : ["(neither result says why)"]) why.append(h("li", {text: cause}));
      item.append(why);
      list.append(item);
    }
    return [h("h3", {text: `Changed since baseline (${drift.baseline})`}), list];
  }

  function openDrill(r, i) {
    state.selected = [r.index, i];
    const image = data.images[i];
    const outcome = data.outcomes[r.row.o[i]];
    const body = $("drill-body");
    const names = r.row.m.slice(0, 20).map((m) => m[0]).join(", ") + (r.row.m.length > 20 ? `, … (+${r.row.m.length - 20})` : "");
    $("drill-h").textContent = `${image.alias} on ${r.label}`;
    const spec = specOf(image, outcome);
    const best = spec.sets.find((s) => s.index === outcome.b);
    const parts = [
      h("p", {}, h("span", {class: `status st-${outcome.s}`, text: outcome.s}), ` ${r.row.m.length} host(s)`),
      kv([["hosts", names], ["host status", r.row.hs !== "ok" ? r.row.hs : ""], ["reason", outcome.r],
          ["last known", outcome.k ? `${outcome.k[0]} ${outcome.k[1]} (run of ${outcome.k[2]})` : ""],
          ["image", image.reference], ["digest", image.digest], ["platform", spec.platform || ""],
          ["spec from", spec.subject || ""], ["spec source", spec.specSource], ["spec digest", spec.specDigest],
          [image.specStatus === "no-spec" ? "no spec" : "spec error", image.specError],
          ["best set", best ? `#${best.index + 1}, weight ${best.weight}${best.tag ? ", tag " + best.tag : ""}` +
            (best.description ? ` — ${best.description}` : "") : ""]]),
    ];
    if (r.row.hs !== "ok") {
      const reasons = h("ul", {class: "reasons"});
      for (const [name, , reason] of r.row.m.slice(0, 50)) reasons.append(h("li", {text: `${name}: ${reason}`}));
      parts.push(h("h3", {text: `Why the host${r.row.m.length > 1 ? "s were" : " was"} not audited`}), reasons);
    }
    if (outcome.h) {
      const [set, failing, hints] = outcome.h;
      const info = spec.sets.find((s) => s.index === set);
      const list = h("ul", {class: "hints"});
      for (const [cls, text] of hints) list.append(h("li", {}, h("span", {class: `hint hint-${cls}`, text: cls}), ` ${text}`));
      parts.push(h("h3", {text: "What would fix it"}),
        h("p", {class: "muted", text: `closest set #${set + 1}` + (info ? ` (weight ${info.weight}${info.tag ? ", tag " + info.tag : ""})` : "") +
          `: ${failing} failing expression${failing === 1 ? "" : "s"}`}), list);
    }
    if (outcome.s === "waived") parts.push(...waiverDetails(outcome));
    if (drift && (r.row.d || {})[i]) parts.push(...changeDetails(r, i));
    if ((outcome.f || []).length) {
      const title = outcome.s === "compatible" ? "Rules that failed in other sets" :
        outcome.s === "waived" ? `Failing rules (waived, ${outcome.os})` : "Failing rules";
      parts.push(h("h3", {text: title}), failingTable(image, outcome));
    }
    parts.push(h("h3", {text: "Hardware"}), r.profile ? summaryValue(r.profile.s) :
      h("p", {class: "muted", text: "no hardware summary (the host was not gathered)"}));
    body.replaceChildren(...parts);
    $("drilldown").hidden = false;
    document.body.classList.add("drill-open");
    render();
  }

  $("drill-close").addEventListener("click", () => {
    $("drilldown").hidden = true;
    document.body.classList.remove("drill-open");
    state.selected = null;
    render();
  });
  $("filters").addEventListener("submit", (ev) => ev.preventDefault());
  $("f-status").addEventListener("change", (ev) => { state.status = ev.target.value; render(); });
  $("f-image").addEventListener("change", (ev) => {
    state.image = ev.target.value === "" ? -1 : Number(ev.target.value);
    if (state.sort !== "hosts" && state.sort !== "hardware") state.sort = "hosts";
    render();
  });
  $("f-group").addEventListener("change", (ev) => {
    state.group = ev.target.value === "" ? -1 : Number(ev.target.value);
    render();
  });
  if ($("f-changed")) {
    $("f-changed").addEventListener("change", (ev) => { state.changed = ev.target.checked; render(); });
  }
  let typing = 0;
  $("f-text").addEventListener("input", (ev) => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.text = ev.target.value.trim().toLowerCase(); render(); }, 120);
  });

  render();
  document.documentElement.dataset.ready = String(Math.round(performance.now()));
})();
