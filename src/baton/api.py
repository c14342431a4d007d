from ninja import NinjaAPI

api = NinjaAPI(title="Baton API", version="1", urls_namespace="api")
