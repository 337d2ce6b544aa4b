"""The Avro format (formats.base.SchemaFormat), built on the Avro core `governance.avro`."""

from governance.formats.avro.format import AvroFormat

AVRO = AvroFormat()

__all__ = ["AVRO", "AvroFormat"]
