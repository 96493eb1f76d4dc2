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

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A frame that is not JSON text closes the connection (1003: unsupported data, 1007:
        # invalid payload), never an unhandled exception in the server.
        if text_data is None:
            await self.close(code=1003)
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self.close(code=1007)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        await self.channel_layer.send(self.channel_name, {"type": "echo.reply", "payload": content})

    async def echo_reply(self, event):
        await self.send_json(event["payload"])
