"""The method space agents search: the method config and the transfer it describes.

`parse_method_config` checks a JSON object and fills in defaults; `describe_fields` lists
every field for help text and prompts; `transfer` trains a strong student with a config.
A new method is a new value of `method` (or a new field) in `w2s.methods.config.FIELDS`
plus its branch in `w2s.methods.transfer`; tasks never need to change.
"""

from w2s.methods.config import FIELDS, METHODS, MethodConfig, describe_fields, parse_method_config

__all__ = ["FIELDS", "METHODS", "MethodConfig", "describe_fields", "parse_method_config"]
