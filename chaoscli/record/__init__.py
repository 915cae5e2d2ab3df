"""The run record: a typed journal between the experiment that runs and the reports that
read it. It imports nothing from the layers around it."""

from chaoscli.record.model import SCHEMA_ID, SCHEMA_VERSION, Record
from chaoscli.record.read import from_json, read

__all__ = ["SCHEMA_ID", "SCHEMA_VERSION", "Record", "from_json", "read"]
