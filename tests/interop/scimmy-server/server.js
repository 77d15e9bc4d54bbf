// A small SCIM 2.0 service provider for scimform's interop tests: scimmy 1.3.5 with
// scimmy-routers 1.3.2, mounted at /scim/v2 in an Express 4 app, over an in-memory store.
//
//   node server.js --port PORT [--host 127.0.0.1] [--token TOKEN] [--exit-with-stdin]
//
// The bearer token comes from --token or, failing that, from SCIMMY_SERVER_TOKEN; one of
// them is required. --port 0 picks a free port. Once listening, one line goes to stdout:
//
//   scimmy-server ready on http://127.0.0.1:PORT/scim/v2
//
// With --exit-with-stdin the server exits when its stdin closes, so a test process that
// dies without killing it (SIGKILL, abort) does not leave it running.
//
// What this app decides and what scimmy decides:
//   - scimmy/scimmy-routers do the protocol: routing, JSON parsing, schema validation and
//     coercion, attribute filtering, PATCH (scimmy applies the operations to the resource
//     read through `egress` and hands the result to `ingress` as a full replacement), list
//     paging and sorting (ListResponse), error bodies, discovery endpoints.
//   - This app is the "database": ids (random UUIDs) and meta are set here; userName and
//     group displayName must be non-empty (400 invalidValue) and are unique
//     case-insensitively (409 uniqueness); group members must reference an existing user
//     or group (400 invalidValue) and are a set (a repeated value is stored once);
//     deleting a user or group removes it from every group's members. List egress returns
//     every record that the request's filter matches, evaluated with scimmy's own
//     Filter.match (so `eq` is case-sensitive, as scimmy makes it), and leaves paging and
//     sorting to scimmy's ListResponse.
//
// Every request is logged to stdout as one line: method, URL, status, and for requests
// with a body the body itself (never the Authorization header).

import crypto from "node:crypto";
import process from "node:process";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

function usage(message) {
    console.error(`scimmy-server: ${message}`);
    console.error("usage: node server.js --port PORT [--host 127.0.0.1] [--token TOKEN] [--exit-with-stdin]");
    process.exit(2);
}

function parseArgs(argv) {
    const options = {host: "127.0.0.1", port: undefined, token: process.env.SCIMMY_SERVER_TOKEN, exitWithStdin: false};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) usage(`${arg} needs a value`);
            return argv[++i];
        };
        switch (arg) {
            case "--port": options.port = value(); break;
            case "--host": options.host = value(); break;
            case "--token": options.token = value(); break;
            case "--exit-with-stdin": options.exitWithStdin = true; break;
            default: usage(`unknown argument '${arg}'`);
        }
    }
    if (options.port === undefined || !/^\d+$/.test(options.port) || Number(options.port) > 65535)
        usage("--port PORT (0-65535) is required");
    options.port = Number(options.port);
    if (!options.token) usage("a bearer token is required (--token TOKEN or SCIMMY_SERVER_TOKEN)");
    return options;
}

const options = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------------------------------
// The in-memory store.

const users = new Map();
const groups = new Map();
let versionCounter = 0;

const clone = (value) => JSON.parse(JSON.stringify(value));
const sameText = (a, b) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

function notFound(id) {
    return new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
}

// A stored record from the (already schema-checked) instance scimmy hands to ingress.
// `id` and `meta` are the server's: whatever the client sent for them is dropped.
// `normalise` may rewrite the plain data before it is compared and stored.
function record(instance, id, previous, normalise = (data) => data) {
    const data = clone(instance);
    delete data.id;
    delete data.meta;
    delete data.schemas;
    normalise(data);
    if (previous) {
        // An update that changes nothing (scimmy hands every PATCH to ingress, even one
        // that is a no-op) keeps the record's meta, version included.
        const {id: _id, meta: _meta, schemas: _schemas, ...before} = previous;
        if (JSON.stringify(before) === JSON.stringify(data)) return clone(previous);
    }
    const now = new Date().toISOString();
    return {
        ...data,
        id,
        meta: {created: previous?.meta?.created ?? now, lastModified: now, version: `W/"${++versionCounter}"`},
    };
}

// Bump a record's meta after the server itself changed it (member clean-up).
function touch(stored) {
    stored.meta = {...stored.meta, lastModified: new Date().toISOString(), version: `W/"${++versionCounter}"`};
}

function checkMembers(members) {
    for (const member of members ?? []) {
        if (typeof member?.value !== "string" || !member.value.length)
            throw new SCIMMY.Types.Error(400, "invalidValue", "Every group member needs a 'value'");
        if (!users.has(member.value) && !groups.has(member.value))
            throw new SCIMMY.Types.Error(400, "invalidValue", `Member '${member.value}' is neither a user nor a group`);
    }
}

// Membership is a set: a member listed twice (e.g. PATCH add of an existing member,
// which scimmy appends) is stored once, the first entry kept. No members: no attribute.
function uniqueMembers(data) {
    if (!Array.isArray(data.members)) return;
    const seen = new Set();
    data.members = data.members.filter((m) => !seen.has(m.value) && seen.add(m.value));
    if (!data.members.length) delete data.members;
}

// Remove `id` from every group's members (when a user or group is deleted).
function dropMember(id) {
    for (const group of groups.values()) {
        const before = group.members ?? [];
        const after = before.filter((m) => m.value !== id);
        if (after.length !== before.length) {
            if (after.length) group.members = after;
            else delete group.members;
            touch(group);
        }
    }
}

// egress for both resource types: one record by id, or every record the filter matches.
function egressFrom(store) {
    return (resource) => {
        if (resource.id) {
            const found = store.get(resource.id);
            if (!found) throw notFound(resource.id);
            return clone(found);
        }
        const all = [...store.values()].map(clone);
        if (!resource.filter) return all;
        // One record at a time: scimmy's Filter.match throws a TypeError ("Cannot convert
        // undefined or null to object") for a record that lacks the complex attribute a
        // filter names (`members.value eq "x"` and a group without members), which would
        // fail the whole request; such a record simply does not match.
        return all.filter((one) => {
            try {
                return resource.filter.match([one]).length > 0;
            } catch {
                return false;
            }
        });
    };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    ingress(resource, instance) {
        const previous = resource.id ? users.get(resource.id) : undefined;
        if (resource.id && !previous) throw notFound(resource.id);
        if (!instance.userName?.trim())
            throw new SCIMMY.Types.Error(400, "invalidValue", "userName must not be empty");
        const id = resource.id ?? crypto.randomUUID();
        for (const other of users.values()) {
            if (other.id !== id && sameText(other.userName, instance.userName))
                throw new SCIMMY.Types.Error(409, "uniqueness", `userName '${instance.userName}' is already taken`);
        }
        const stored = record(instance, id, previous);
        users.set(id, stored);
        return clone(stored);
    },
    egress: egressFrom(users),
    degress(resource) {
        if (!users.delete(resource.id)) throw notFound(resource.id);
        dropMember(resource.id);
    },
});

SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
    ingress(resource, instance) {
        const previous = resource.id ? groups.get(resource.id) : undefined;
        if (resource.id && !previous) throw notFound(resource.id);
        const id = resource.id ?? crypto.randomUUID();
        for (const other of groups.values()) {
            if (other.id !== id && sameText(other.displayName, instance.displayName))
                throw new SCIMMY.Types.Error(409, "uniqueness", `displayName '${instance.displayName}' is already taken`);
        }
        if (!instance.displayName?.trim())
            throw new SCIMMY.Types.Error(400, "invalidValue", "displayName must not be empty");
        checkMembers(instance.members);
        const stored = record(instance, id, previous, uniqueMembers);
        groups.set(id, stored);
        return clone(stored);
    },
    egress: egressFrom(groups),
    degress(resource) {
        if (!groups.delete(resource.id)) throw notFound(resource.id);
        dropMember(resource.id);
    },
});

// ---------------------------------------------------------------------------------------
// The app.

const app = express();
app.disable("x-powered-by");
app.set("etag", false);

// One log line per request.
app.use((req, res, next) => {
    res.on("finish", () => {
        const body = req.body !== undefined && Object.keys(req.body ?? {}).length ? ` ${JSON.stringify(req.body)}` : "";
        console.log(`${new Date().toISOString()} ${req.method} ${req.originalUrl} -> ${res.statusCode}${body}`);
    });
    next();
});

const baseUrl = () => `http://${options.host}:${server.address().port}`;

app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    docUri: "https://datatracker.ietf.org/doc/html/rfc6750",
    handler: (req) => {
        const header = req.header("Authorization") ?? "";
        const match = /^Bearer\s+(.+)$/i.exec(header);
        if (!match) throw new Error("Authorization header with a bearer token is required");
        const given = Buffer.from(match[1].trim());
        const wanted = Buffer.from(options.token);
        if (given.length !== wanted.length || !crypto.timingSafeEqual(given, wanted))
            throw new Error("Invalid bearer token");
        // No user id: the token stands for a provisioning client, not a user, so /Me
        // answers 501 (scimmy-routers' answer when the handler returns no id string).
        return undefined;
    },
    baseUri: () => baseUrl(),
}));

// Outside /scim/v2: a SCIM-shaped 404.
app.use((req, res) => {
    res.status(404).type("application/scim+json").send(JSON.stringify(
        {schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "404", detail: "Endpoint Not Found"}));
});

// Errors that escape scimmy-routers (it passes 5xx on after answering them).
app.use((err, req, res, next) => {
    console.error(`scimmy-server: error on ${req.method} ${req.originalUrl}: ${err?.stack ?? err}`);
    if (!res.headersSent) {
        res.status(500).type("application/scim+json").send(JSON.stringify(
            {schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "500", detail: String(err?.message ?? err)}));
    }
});

const server = app.listen(options.port, options.host, () => {
    console.log(`scimmy-server ready on ${baseUrl()}/scim/v2`);
});
server.on("error", (err) => {
    console.error(`scimmy-server: cannot listen on ${options.host}:${options.port}: ${err.code ?? ""} ${err.message}`);
    process.exit(1);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
        server.close();
        process.exit(0);
    });
}

if (options.exitWithStdin) {
    process.stdin.on("end", () => process.exit(0));
    process.stdin.on("error", () => process.exit(0));
    process.stdin.resume();
}
