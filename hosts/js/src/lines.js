import { InputError } from "./errors.js";

// Lines as s2s-translate reads them: split at LF only (a lone CR stays inside its line), one
// trailing CR removed, strict UTF-8; read as they arrive, so memory does not grow with the input.
export async function* readLines(stream) {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending = "";
  let number = 0;
  const line = (text) => (text.endsWith("\r") ? text.slice(0, -1) : text);
  try {
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = pending.indexOf("\n")) >= 0) {
        number++;
        yield line(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    }
    pending += decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) throw new InputError(`standard input is not UTF-8 text (line ${number + 1})`);
    throw error;
  }
  if (pending) yield line(pending);
}
