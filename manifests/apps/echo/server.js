// echo: a TCP echo server on the address the manifest allows; serves one client, then exits.
const listener = Deno.listen({ hostname: "127.0.0.1", port: 7070 });
console.log("echo listening on 127.0.0.1:7070");
const conn = await listener.accept();
await conn.readable.pipeTo(conn.writable);
listener.close();
