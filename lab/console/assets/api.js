// Talking to the supervisor: the control API's actions, with their errors shown to the
// person who clicked, and the confirmation every chaos action asks for first.
// The control API answers errors as {"error", "detail"}; a failed action shows both.

let afterAction = () => {};
// Called after every action that went through, so the page polls at once.
export function onAction(f) { afterAction = f; }

export function toast(kind, text, ms = kind === 'error' ? 12000 : 4000) {
  const box = document.getElementById('toasts');
  const t = document.createElement('div');
  t.className = 'toast ' + kind;
  t.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const close = document.createElement('span');
  close.className = 'close';
  close.textContent = '×';
  close.onclick = () => t.remove();
  t.append(close, document.createTextNode(text));
  box.prepend(t);
  while (box.children.length > 5) box.lastChild.remove();
  setTimeout(() => t.remove(), ms);
}

// Resolves true when the person confirms. `ok` names the button ("Kill app-2").
export function confirmAction(title, text, ok) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = ok;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = 'cancel';
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}

// Calls the control API. Returns the answer's JSON, or null after showing the error.
export async function act(label, method, path, body) {
  let response, text = '';
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await response.text();
  } catch (e) {
    toast('error', `${label} failed: the supervisor did not answer (${e.message})`);
    return null;
  }
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch { /* not JSON: shown raw below */ }
  if (!response.ok) {
    const code = json && json.error ? json.error : `HTTP ${response.status}`;
    const detail = json && json.detail ? json.detail : text.slice(0, 200);
    toast('error', `${label} failed: ${code}: ${detail}`);
    return null;
  }
  afterAction();
  return json ?? {};
}

// The same, after a confirmation.
export async function chaos(label, question, ok, method, path, body) {
  if (!(await confirmAction(label, question, ok))) return null;
  return act(label, method, path, body);
}
