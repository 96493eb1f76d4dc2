from channels.generic.websocket import AsyncJsonWebsocketConsumer


class EchoHealthConsumer(AsyncJsonWebsocketConsumer):
    """A websocket round trip through the channel layer, for monitoring and the benchmark.

    The message goes out to the layer and comes back before it is answered, so a broken
    channel layer (Redis down) shows here rather than in the live chat.
    """

    group = "health-echo"

    async def connect(self):
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.channel_layer.send(self.channel_name, {"type": "echo.reply", "payload": content})

    async def echo_reply(self, event):
        await self.send_json(event["payload"])
