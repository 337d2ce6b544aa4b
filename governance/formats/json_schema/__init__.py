"""The JSON Schema format (formats.base.SchemaFormat), built on the JSON Schema core `governance.json_schema`."""

from governance.formats.json_schema.format import JsonSchemaFormat

JSON_SCHEMA = JsonSchemaFormat()

__all__ = ["JSON_SCHEMA", "JsonSchemaFormat"]
