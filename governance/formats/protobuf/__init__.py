"""The Protobuf format (formats.base.SchemaFormat), built on the Protobuf core `governance.protobuf`."""

from governance.formats.protobuf.format import ProtobufFormat

PROTOBUF = ProtobufFormat()

__all__ = ["PROTOBUF", "ProtobufFormat"]
