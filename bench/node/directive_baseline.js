// The directive baseline (bench/directive.py): a bare socket.io server, no authentication, no database.
// A socket joins the room of the agency its handshake names (auth.agency_id), as ours joins an officer's
// agency room on connect. POST /directives {title, deadline, priority, lead_agency_id, support_agency_ids}
// emits directive:new to each of those agency rooms, one emit per room with its own assignment id and
// a payload of the same keys and size as ours (directives/services.py publish_new), then answers 201
// with the directive and its assignments, as POST /api/v1/directives does.
const http = require("http");
const { Server } = require("socket.io");
const port = parseInt(process.env.PORT || "5901", 10);
let nextDirective = 1, nextAssignment = 1;

function issue(body) {
  const id = nextDirective++;
  const roles = [[body.lead_agency_id, "lead"], ...(body.support_agency_ids || []).map((a) => [a, "support"])];
  const assignments = roles.map(([agencyId, role]) => ({
    id: nextAssignment++, agency_id: agencyId, role, status: "pending", deadline: body.deadline,
  }));
  for (const a of assignments) {
    io.to("agency:" + a.agency_id).emit("directive:new", {
      directive_id: id, assignment_id: a.id, title: body.title, deadline: body.deadline,
      priority: body.priority || "normal", parent_id: null,
    });
  }
  return { id, number: id + "/UBND-TH", title: body.title, deadline: body.deadline, assignments };
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/directives") {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const directive = issue(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    res.writeHead(201, { "Content-Type": "application/json" }).end(JSON.stringify(directive));
  });
});
const io = new Server(server, { cors: { origin: "*" } });
io.on("connection", (socket) => {
  const agencyId = socket.handshake.auth && socket.handshake.auth.agency_id;
  if (agencyId) socket.join("agency:" + agencyId);
});
server.listen(port, "127.0.0.1", () => console.log("directive baseline listening on " + port));
