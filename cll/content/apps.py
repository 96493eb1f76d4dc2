from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "cll.content"

    def ready(self):
        from cll.core.pagecache import bump_on_change

        # Cached public pages show this app's rows: any change retires them.
        bump_on_change(*(self.get_model(name) for name in ["NewsItem"]))
