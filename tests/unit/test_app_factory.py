"""Every app the factory builds in one process gets every socket handler."""
from core import create_app
from core.extensions import db, socketio
from tests.conftest import Factory, make_test_config


def test_socket_handlers_reach_every_app_built_in_the_process(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    for k in range(2):
        folder = tmp_path / f"app{k}"
        folder.mkdir()
        app = create_app(make_test_config(folder))
        with app.app_context():
            db.create_all()
            factory = Factory()
            leader = factory.user(role="leader")
            client = socketio.test_client(app, auth={"token": factory.token(leader)})
            assert client.is_connected()
            # a module's handler (meetings), not only core's connect handler
            ack = client.emit("meeting:join", {"meeting_id": 999999}, callback=True)
            assert ack == {**ack, "ok": False, "error": "not_found"}
            client.disconnect()
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
