"""The realtime hub.

Services call :func:`publish` while they change data; the events wait in the
session's outbox and are emitted only after that transaction commits, and are
dropped if it rolls back. With ``REDIS_URL`` set, Flask-SocketIO sends them
through Redis so every process delivers them to its own sockets.

Rooms: ``user:<id>``, ``agency:<id>``, ``leaders`` (the provincial leaders and admins),
``leaders:<agency id>`` (an agency's own leaders), and
module rooms such as ``meeting:<id>``.
"""
import functools
import logging
import os
import uuid

from flask import current_app, g, request, session
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from core import metrics
from core.dbtypes import UTCDateTime, utcnow
from core.errors import ServiceError
from core.extensions import db, socketio
from core.validation import never_stored

log = logging.getLogger(__name__)
OUTBOX = "realtime_outbox"
KEPT_USER = "realtime_kept_user"
#: identifies this server process in SocketConnection rows
SERVER_ID = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
#: functions called as fn(connection) after a socket disconnects (meetings presence uses it)
disconnect_hooks = []
#: functions called as fn(user) when an authenticated socket connects (auth joins its rooms)
connect_hooks = []
#: fn(auth) -> (user, api_token, until) for a connecting socket; registered with socket_authenticator
_authenticator = None
#: {sid: KeptUser} of this process's sockets: the user is read once, at connect, and dropped on disconnect.
#: Whatever changes what a user may do closes their sockets (auth.services), on every process.
_kept = {}
#: fn({sid: KeptUser}) -> the sids whose user, login or token no longer allows them; see recheck_sockets
_rechecker = None
#: how often each process reads again, in one query, whether its sockets' users, logins and tokens still hold
RECHECK_SECONDS = 30


def user_room(user_id):
    return f"user:{user_id}"


def agency_room(agency_id):
    return f"agency:{agency_id}"


def agency_leaders_room(agency_id):
    """The leaders of one agency below the province (they follow its whole subtree)."""
    return f"leaders:{agency_id}"


LEADERS_ROOM = "leaders"


class SocketConnection(db.Model):
    """One live Socket.IO connection; lets any process find and close a user's sockets."""

    __tablename__ = "socket_connections"

    #: the Socket.IO session id
    sid = db.Column(db.String(64), primary_key=True)
    #: whose socket it is
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the API token it authenticated with, if any (revoking it closes the socket)
    api_token_id = db.Column(db.Integer, db.ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    #: the browser login it came from, if any (logging out closes the socket)
    login_id = db.Column(db.String(64), index=True)
    #: the process holding it
    server_id = db.Column(db.String(128), nullable=False)
    #: when it connected
    connected_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


# -- publish after commit -------------------------------------------------------

class WithoutWebsocketCompression:
    """WSGI middleware that takes the client's permessage-deflate offer out of a websocket handshake, so
    simple-websocket (which accepts any offer) sends plain frames (the setting SOCKET_COMPRESSION)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


def after_commit(fn):
    """Run ``fn()`` once the current transaction commits; never if it rolls back."""
    sess = db.session()
    txn = sess.get_nested_transaction() or sess.get_transaction()
    if txn is None:
        txn = sess.begin()
    sess.info.setdefault(OUTBOX, []).append((txn, fn))


def publish(event_name, payload, to):
    """Queue ``event_name`` for room ``to``; emitted after the current transaction commits."""
    after_commit(lambda: emit(event_name, payload, to=to))


#: set by wsgi.py when this process serves sockets; a command (flask ...) or a test without a server emits
#: at once, as nothing would be left running to send a coalesced emit later
serving = False


def publish_coalesced(event_name, build, to, delay=0.25):
    """After commit, emit ``event_name`` with ``build()`` to room ``to``, at most once per ``delay`` seconds:
    changes that commit meanwhile ride on the same emit, whose payload is read when it goes out. So 200
    people joining at once cost a few presence lists, not 200 lists to 200 sockets. The key leaves the set
    before ``build`` reads, so a change committed during the read schedules another emit: none is missed."""
    app = current_app._get_current_object()
    pending = app.extensions.setdefault("coalescing", set())  # per app: tests build many in one process
    key = (event_name, to)

    def send():
        try:
            socketio.sleep(delay)
        finally:
            pending.discard(key)
        with app.app_context():
            try:
                emit(event_name, build(), to=to)
            except Exception:
                log.exception("coalesced %s to %s failed", event_name, to)
            finally:
                db.session.remove()

    if not serving:
        # nothing would be left running to send it later (a command, a test client): read it now, in this
        # transaction (the commit is no time for a query), and send it after the commit like any publish
        payload = build()
        after_commit(lambda: emit(event_name, payload, to=to))
        return

    def schedule():
        if key in pending:
            return
        pending.add(key)
        try:
            socketio.start_background_task(send)
        except Exception:
            pending.discard(key)
            raise

    after_commit(schedule)


def emit(event_name, payload, **kwargs):
    """socketio.emit, counted in the metrics."""
    metrics.event_emitted(event_name)
    socketio.emit(event_name, payload, **kwargs)


def _inside(txn, outer):
    while txn is not None:
        if txn is outer:
            return True
        txn = txn.parent
    return False


def _drop(sess, ended):
    pending = sess.info.get(OUTBOX)
    if pending:
        sess.info[OUTBOX] = [entry for entry in pending if not _inside(entry[0], ended)]


@event.listens_for(Session, "after_commit")
def _run_outbox(sess):
    if sess.in_nested_transaction():
        return  # a savepoint was released: its events wait for the outermost commit
    pending = sess.info.pop(OUTBOX, None)
    for _txn, fn in pending or ():
        try:
            fn()
        except Exception:  # a broken queue must not turn a committed change into an error
            log.exception("after-commit action %r failed", fn)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(sess, previous_transaction):
    _drop(sess, previous_transaction)


@event.listens_for(Session, "after_transaction_end")
def _drop_unfinished(sess, transaction):
    """A transaction ended without commit (e.g. ``session.close()``): its events never go out."""
    if transaction.parent is None:
        _drop(sess, transaction)
        if KEPT_USER in sess.info:
            _restore_kept(sess)


# -- connections ----------------------------------------------------------------

def row_id(obj):
    """An ORM object's primary key without a query, even once a commit has expired its attributes."""
    return orm_inspect(obj).identity[0]


def socket_authenticator(fn):
    """Register ``fn(auth) -> (user, api_token, until)`` (user None: refused) for connecting sockets;
    ``until`` is when the login or token behind the socket expires (None: never)."""
    global _authenticator
    _authenticator = fn
    return fn


def socket_rechecker(fn):
    """Register ``fn({sid: KeptUser}) -> sids to close`` for :func:`recheck_sockets`."""
    global _rechecker
    _rechecker = fn
    return fn


class KeptUser:
    """A socket's user for the socket's life: a detached copy of the row's columns (no relationship, so
    the agency and its kind are read fresh when an event needs them), when its login or token expires, and
    which login or token it is."""

    __slots__ = ("user", "until", "api_token_id", "login_id")

    def __init__(self, user, until, api_token_id, login_id):
        mapper = orm_inspect(user).mapper
        copy = mapper.class_manager.new_instance()
        for attr in mapper.column_attrs:
            set_committed_value(copy, attr.key, getattr(user, attr.key))
        make_transient_to_detached(copy)
        self.user, self.until, self.api_token_id, self.login_id = copy, until, api_token_id, login_id


def recheck_sockets():
    """Close this process's sockets whose user, login or token changed without the close reaching them (a
    message lost on the way between processes, a change made straight in the database): a net under the
    services' own closing, read in one pass for all of them every RECHECK_SECONDS. Returns how many closed."""
    if _rechecker is None or not _kept:
        return 0
    stale = _rechecker(dict(_kept))
    for sid in stale:
        _kept.pop(sid, None)
        try:
            socketio.server.disconnect(sid, namespace="/")
        except Exception:
            log.exception("could not disconnect %s", sid)
    return len(stale)


def _start_rechecking():
    app = current_app._get_current_object()
    if not serving or app.extensions.get("socket_rechecking"):
        return
    app.extensions["socket_rechecking"] = True

    def loop():
        while True:
            socketio.sleep(RECHECK_SECONDS)
            with app.app_context():
                try:
                    recheck_sockets()
                except Exception:
                    log.exception("socket recheck failed")
                finally:
                    db.session.remove()

    socketio.start_background_task(loop)


def socket_user(sid):
    """The user of socket ``sid`` in this event's session, without a query; None once its login or token
    expired or the socket was closed (disconnect_where forgets it before the close reaches the socket)."""
    kept = _kept.get(sid)
    if kept is None or kept.until is not None and kept.until <= utcnow():
        return None
    user = db.session.merge(kept.user, load=False)
    db.session.info[KEPT_USER] = (user, kept.user)  # a commit must not make it read again: _restore_kept
    return user


def _restore_kept(sess):
    """After a commit expired everything in the session, give the socket's user back its kept values."""
    user, kept = sess.info[KEPT_USER]
    if user not in sess:
        return
    state = orm_inspect(user)
    for key in list(state.expired_attributes):
        if key in kept.__dict__:
            set_committed_value(user, key, kept.__dict__[key])


@socketio.on("connect")
def on_connect(auth=None):
    user, api_token, until = _authenticator(auth) if _authenticator else (None, None, None)
    if user is None:
        return False  # refused: the client sees a connect_error
    for hook in connect_hooks:
        hook(user)
    token_id = api_token.id if api_token else None
    login_id = None if api_token else session.get("login_id")
    # kept before the commit (which expires the user's attributes, and lets other greenlets run): a change
    # that closes this user's sockets meanwhile forgets it here too (disconnect_where's ``kept`` test)
    _kept[request.sid] = KeptUser(user, until, token_id, login_id)
    db.session.add(SocketConnection(sid=request.sid, user_id=user.id, api_token_id=token_id, login_id=login_id,
                                    server_id=SERVER_ID))
    try:
        db.session.commit()
    except BaseException:
        _kept.pop(request.sid, None)
        raise
    if request.sid not in _kept or _client_gone(request.sid):
        # closed while connecting (its user's sockets, or the client itself, during the commit): refused; no
        # disconnect event would ever come for a socket still connecting
        _kept.pop(request.sid, None)
        db.session.execute(db.delete(SocketConnection).where(SocketConnection.sid == request.sid))
        db.session.commit()
        return False
    _start_rechecking()
    metrics.socket_connected(request.sid)
    return True


def _client_gone(sid):
    """Whether the Engine.IO session under a connecting socket has ended (a socket still connecting gets no
    disconnect event: Socket.IO only forgets the session's environ)."""
    server = socketio.server
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    return eio_sid is None or eio_sid not in server.environ


@socketio.on("disconnect")
def on_disconnect(*_args):
    _kept.pop(request.sid, None)
    metrics.socket_disconnected(request.sid)
    conn = db.session.get(SocketConnection, request.sid)
    if conn is None:
        return
    for hook in disconnect_hooks:
        try:
            hook(conn)
        except Exception:
            log.exception("disconnect hook %r failed", hook)
            db.session.rollback()
    db.session.delete(conn)
    db.session.commit()


def is_connected(sid):
    """Whether socket ``sid`` of this process is still open (a join racing its disconnect opens no span)."""
    return sid in _kept


def leave_room_after_commit(room, user_ids):
    """Take every open socket of ``user_ids`` out of ``room`` once the transaction commits.

    Called by a service that takes someone's access away. Works on whichever process holds
    the socket (with Redis the request travels on the message queue, in order with the
    events emitted after it), so from then on nothing sent to the room reaches them.
    """
    user_ids = list(user_ids)
    if not user_ids:
        return
    sids = db.session.scalars(db.select(SocketConnection.sid).where(SocketConnection.user_id.in_(user_ids))).all()

    def leave():
        for sid in sids:
            socketio.server.leave_room(sid, room, namespace="/")

    after_commit(leave)


def disconnect_where(*criteria, kept=None):
    """Close every socket matching the SocketConnection criteria, on whichever process holds it.

    ``kept``, the same test on this process's KeptUser, forgets those users first and with no I/O: while the
    query below waits (other greenlets run), no event of this process may still act as them."""
    if kept is not None:
        for sid, user in list(_kept.items()):
            if kept(user):
                _kept.pop(sid, None)
    sids = db.session.scalars(db.select(SocketConnection.sid).where(*criteria)).all()
    for sid in sids:
        _kept.pop(sid, None)  # here at once: no event of this process acts as the user any more
        try:
            socketio.server.disconnect(sid, namespace="/")
        except Exception:
            log.exception("could not disconnect %s", sid)
    return len(sids)


# -- handlers -------------------------------------------------------------------

def socket_handler(event_name):
    """Register an authenticated Socket.IO handler that answers with an ack.

    The handler receives the payload (always a dict) and returns the ack dict;
    a ServiceError becomes ``{ok: false, error: code}``, and so does a payload
    that is not an object, is larger than SOCKET_MAX_PAYLOAD (``too_large``) or
    holds NUL or a lone surrogate (``bad_request``). The session is rolled back on any error.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def handler(payload=None, *_extra):
            user = socket_user(request.sid)
            if user is None:
                return {"ok": False, "error": "unauthorized"}
            g._login_user = user  # flask-login's current_user: no user_loader query per event
            if not isinstance(payload, dict):
                return {"ok": False, "error": "bad_request", "message": _("The payload must be an object.")}
            limit = current_app.config["SOCKET_MAX_PAYLOAD"]
            bad_field, size = never_stored(payload, limit=limit)
            if size > limit:
                return {"ok": False, "error": "too_large",
                        "message": _("The payload is larger than %(n)d characters.", n=limit)}
            if bad_field is not None:
                message = _("Must not contain NUL or invalid characters.")
                return {"ok": False, "error": "bad_request", "message": message, "fields": {bad_field: message}}
            return fn(payload)  # an error becomes the ack in error_ack below

        socketio.on_event(event_name, handler)
        return handler

    return decorate


@socketio.on_error_default
def error_ack(exc):
    """Any socket handler's error becomes its ack; the session is rolled back first."""
    db.session.rollback()
    event = request.event["message"]
    if event == "connect":
        log.exception("socket connect failed")
        return False  # refused, never half-connected
    if not isinstance(exc, ServiceError):
        log.exception("socket event %s failed", event)
        return {"ok": False, "error": "internal_error"}
    ack = {"ok": False, "error": exc.code, "message": exc.message}
    fields = getattr(exc, "fields", None) or exc.extra.get("fields")
    if fields:
        ack["fields"] = fields
    return ack


def _process_alive(server_id):
    host, _, rest = server_id.partition(":")
    pid = rest.partition(":")[0]
    if host != os.uname().nodename or not pid.isdigit():
        return True  # another machine's process: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return int(pid) != os.getpid() or server_id == SERVER_ID


def close_stale_connections():
    """Forget sockets of dead processes on this host (after a crash or kill -9).

    Their disconnect hooks run, so presence and attendance close what was left open.
    """
    rows = db.session.scalars(db.select(SocketConnection)).all()
    closed = 0
    for conn in rows:
        if _process_alive(conn.server_id):
            continue
        for hook in disconnect_hooks:
            hook(conn)
        db.session.delete(conn)
        closed += 1
    db.session.commit()
    return closed
