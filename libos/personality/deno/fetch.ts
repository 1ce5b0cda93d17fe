/**
 * `fetch()` of `file:` URLs from the sandbox's file system. Real Deno reads a `file:` URL from the
 * host's file system (GET only, a 200 response with no headers, a TypeError for a missing file, a
 * body that fails to read for a directory); in a picoprocess the URL's path is a guest path, read
 * through the VFS like `Deno.open`, so `fetch(new URL("./data.json", import.meta.url))` finds the
 * file beside the module (the code mount) and `fetch("file:///data/x")` a mount's file. Other
 * schemes go to the real `fetch`, which the Worker's permissions (the manifest's hosts) govern.
 */

/** The file operations it reads through (the personality's own `Deno.stat` and `Deno.open`). */
export interface FetchFs {
  stat(path: string): Promise<Deno.FileInfo>;
  open(path: string, options: Deno.OpenOptions): Promise<Deno.FsFile>;
}

/**
 * Deno's TypeError for a relative URL string: a Worker would resolve it against its own script
 * (a host path of the libOS), while a Deno program run without --location has no base URL.
 */
export function refuseRelativeUrl(input: unknown): void {
  if (typeof input === "string" && !URL.canParse(input)) {
    throw new TypeError(`Invalid URL: '${input}'`);
  }
}

/** `net` with `file:` URLs served from `fs`. */
export function withFileFetch(net: typeof fetch, fs: FetchFs): typeof fetch {
  return function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const href = typeof input === "string"
      ? input
      : input instanceof URL
      ? input.href
      : input instanceof Request
      ? input.url
      : String(input);
    try {
      refuseRelativeUrl(input);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!/^\s*file:/i.test(href)) return net(input, init);
    return fetchFile(fs, input, init);
  };
}

async function fetchFile(
  fs: FetchFs,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
): Promise<Response> {
  const req = new Request(input, init); // a bad method or init is Request's own TypeError
  if (req.method !== "GET") {
    throw new TypeError(`Fetching files only supports the GET method: received ${req.method}`);
  }
  req.signal.throwIfAborted();
  const url = new URL(req.url);
  url.hash = "";
  if (url.hostname !== "" && url.hostname !== "localhost") {
    throw new URIError(`Could not convert URL to file path.\n  URL: ${url.href}`);
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new TypeError(`Error fetching file '${url.href}': invalid percent-encoding`);
  }
  let info: Deno.FileInfo;
  try {
    info = await fs.stat(path);
  } catch (e) {
    throw fetchError(url.href, e);
  }
  let body: ReadableStream<Uint8Array>;
  if (info.isDirectory) {
    // As in Deno: the fetch succeeds, reading its body fails.
    body = new ReadableStream({
      pull: (c) => c.error(new TypeError("Is a directory (os error 21)")),
    });
  } else {
    let file: Deno.FsFile;
    try {
      file = await fs.open(path, { read: true });
    } catch (e) {
      throw fetchError(url.href, e);
    }
    if (req.signal.aborted) {
      file.close();
      throw req.signal.reason;
    }
    body = file.readable;
  }
  const res = new Response(body, { status: 200, statusText: "OK" });
  // As a fetched response shows them (a constructed one has no URL and type "default").
  Object.defineProperty(res, "url", { value: url.href });
  Object.defineProperty(res, "type", { value: "basic" });
  return res;
}

/** Deno's message for a file it could not fetch: the OS error without the guest path. */
function fetchError(href: string, e: unknown): TypeError {
  const msg = e instanceof Error ? e.message.replace(/: [a-z]+ '.*'$/s, "") : String(e);
  return new TypeError(`Error fetching file '${href}': ${msg}`, { cause: e });
}
