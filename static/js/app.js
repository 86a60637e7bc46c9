// Small console behaviours: copy buttons and confirmation of destructive forms.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  navigator.clipboard?.writeText(button.dataset.copy).then(() => {
    const label = button.textContent;
    button.textContent = "✓";
    setTimeout(() => (button.textContent = label), 1200);
  });
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The traces table's filter builder: rows of (column, key, operator, value), written into a
// hidden input as Langfuse's JSON filter grammar (the same one the public API takes).
document.addEventListener("alpine:init", () => {
  window.Alpine.data("filterBuilder", (columnsId, conditionsId) => {
    const columns = JSON.parse(document.getElementById(columnsId).textContent);
    const conditions = JSON.parse(document.getElementById(conditionsId).textContent);
    const byId = Object.fromEntries(columns.map((c) => [c.id, c]));
    const fromCondition = (c) => {
      const id = `${c.column}:${c.type}`;
      if (!byId[id]) return null;
      const value = Array.isArray(c.value) ? c.value.join(", ") : String(c.value ?? "");
      return { id, key: c.key || "", operator: c.operator, value };
    };
    return {
      columns,
      rows: conditions.map(fromCondition).filter(Boolean),
      spec(row) {
        return byId[row.id] || columns[0];
      },
      numeric(row) {
        return ["number", "numberObject"].includes(this.spec(row).type);
      },
      optionList(row) {
        return ["stringOptions", "arrayOptions"].includes(this.spec(row).type);
      },
      add() {
        const row = { id: columns[0].id, key: "", operator: "", value: "" };
        this.reset(row);
        this.rows.push(row);
      },
      reset(row) {
        row.operator = this.spec(row).operators[0];
        row.key = "";
        row.value = "";
      },
      serialized() {
        const out = [];
        for (const row of this.rows) {
          const spec = this.spec(row);
          if (String(row.value).trim() === "") continue;
          let value = String(row.value).trim();
          if (this.numeric(row)) value = Number(value);
          else if (this.optionList(row)) value = value.split(",").map((v) => v.trim()).filter(Boolean);
          const condition = { type: spec.type, column: spec.column, operator: row.operator, value };
          if (spec.keyLabel) condition.key = row.key.trim();
          out.push(condition);
        }
        return out.length ? JSON.stringify(out) : "";
      },
    };
  });
});

// The trace page's observation tree: rows carry their depth; a toggle hides or shows the rows
// below it (a collapsed row's descendants stay hidden when an ancestor is expanded again).
function treeRefresh(container) {
  let hiddenBelow = null;
  for (const row of container.querySelectorAll(".tree-row[data-depth]")) {
    const depth = Number(row.dataset.depth);
    if (hiddenBelow !== null && depth > hiddenBelow) {
      row.hidden = true;
      continue;
    }
    hiddenBelow = row.classList.contains("collapsed") ? depth : null;
    row.hidden = false;
  }
}
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-tree-toggle]");
  const all = event.target.closest("[data-tree-all]");
  if (!toggle && !all) return;
  event.preventDefault();
  const container = event.target.closest("[data-tree]");
  if (toggle) toggle.closest(".tree-row").classList.toggle("collapsed");
  else
    container.querySelectorAll(".tree-row[data-depth]").forEach((row) => {
      const collapse = all.dataset.treeAll === "collapse" && row.querySelector("[data-tree-toggle]");
      row.classList.toggle("collapsed", Boolean(collapse));
    });
  treeRefresh(container);
});
document.addEventListener("keydown", (event) => {
  if ((event.key === "Enter" || event.key === " ") && event.target.matches("[data-tree-toggle]")) {
    event.preventDefault();
    event.target.click();
  }
});
