// The baseline: a bare socket.io server with the same chat events and no storage,
// no authentication and no database. What our server costs is measured against it.
const { Server } = require("socket.io");
const port = parseInt(process.env.PORT || "5900", 10);
const io = new Server(port, { cors: { origin: "*" } });
let nextId = 1;
io.on("connection", (socket) => {
  socket.on("meeting:join", (data, ack) => {
    socket.join("meeting:" + data.meeting_id);
    if (ack) ack({ ok: true, present: [], messages: [] });
  });
  socket.on("chat:send", (data, ack) => {
    const message = {
      id: nextId++, meeting_id: data.meeting_id, author: { id: 0, full_name: "bench" },
      body: data.body, created_at: new Date().toISOString(), client_id: data.client_id,
    };
    io.to("meeting:" + data.meeting_id).emit("chat:message", message);
    if (ack) ack({ ok: true, message });
  });
});
console.log("baseline listening on " + port);
