import pytest
import socketio

pytestmark = pytest.mark.realtime


def test_token_socket_connects_and_anonymous_is_refused(live_server, live_db):
    from tests.conftest import Factory

    with live_db(live_server):
        Factory().user(role="leader", username="lead1")
    token = live_server.token("lead1")
    client = live_server.socket(token=token)
    assert client.connected
    client.disconnect()
    anon = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anon.connect(live_server.url, transports=["websocket"], wait_timeout=5)
