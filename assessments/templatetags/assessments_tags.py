"""Small template helpers of the assessments pages and the quarterly report."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dictionary look-up by a variable key (None if absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
