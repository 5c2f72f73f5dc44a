"""The event bus: subscriptions count from subscribe(), end on close, listeners see everything."""

from __future__ import annotations

from tikmatrixd.events import Event, EventBus, Kind


def logged(kind: str, event_id: int, **data: object) -> list[Event]:
    return [Event(Kind(kind), dict(data), 0.0, event_id)]


async def test_subscription_sees_what_is_published_after_subscribe():
    bus = EventBus()
    bus.publish(logged("task", 1, id=1))  # before: not seen
    subscription = bus.subscribe()
    bus.publish(logged("task", 2, id=2))
    subscription.close()
    assert [(event.data["id"], dropped) async for event, dropped in subscription] == []  # closed: ended
    with bus.subscribe() as subscription:
        bus.publish(logged("task", 3, id=3))
        bus.publish(logged("device", 4, serial="X"))
        seen = []
        async for event, dropped in subscription:
            seen.append((event.kind, dropped))
            if event.kind == "device":
                break
    assert seen == [("task", 0), ("device", 0)]
    assert bus.subscriber_count == 0  # leaving the with block unsubscribes


async def test_close_ends_waiting_subscribers_and_keeps_listeners():
    bus = EventBus()
    heard = []
    bus.listen(lambda event: heard.append(event.kind))
    with bus.subscribe() as subscription:
        bus.close()
        assert [item async for item in subscription] == []
    assert [item async for item in bus.subscribe()] == []  # born ended after close
    bus.publish(logged("task", 5, id=1))
    assert heard == ["task"]
