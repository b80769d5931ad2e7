from django.http import HttpRequest, HttpResponseNotFound
from django.template import loader


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponseNotFound:
    """The public pages' 404 keeps the public layout (no staff navigation, no login link);
    everything else gets the staff page."""
    name = "404_public.html" if request.path.startswith("/p/") else "404.html"
    return HttpResponseNotFound(loader.render_to_string(name, request=request))
