"""The customers' hosts as cloud instances (EC2): what the console's last sync found, mapped onto
the customers. A console reads the cloud when it runs with ``VOICEFLEET_EC2=1`` in a build with
the ``aws`` feature (the packages); elsewhere the report says it has no provider and the actions
raise :class:`voicefleet.ConflictError` with a hint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from voicefleet._values import Table, Value, time_from_ms


@dataclass(frozen=True)
class Instance(Value):
    """One instance: its id, state (``running``, ``stopped``, ``terminated``, …), type, addresses,
    zone, launch time, both status checks and its ``voicefleet:customer`` tag."""

    id: str
    state: str
    instance_type: str
    private_address: Optional[str]
    public_address: Optional[str]
    availability_zone: Optional[str]
    launched_at: Optional[datetime]
    system_status: str
    instance_status: str
    customer_tag: Optional[str]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Instance":
        return cls(
            id=d["id"], state=d["state"], instance_type=d["instance_type"],
            private_address=d.get("private_address"), public_address=d.get("public_address"),
            availability_zone=d.get("availability_zone"), launched_at=time_from_ms(d.get("launched_at_ms")),
            system_status=d["system_status"], instance_status=d["instance_status"],
            customer_tag=d.get("customer_tag"),
        )


@dataclass(frozen=True)
class LinkedInstance(Value):
    """A customer and its instance; ``endpoint_source`` says whether the endpoint was set for the
    customer (``set``), derived from the instance's address (``derived``) or neither (``none``)."""

    customer_id: str
    instance: Instance
    endpoint: Optional[str]
    endpoint_source: str

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "LinkedInstance":
        return cls(
            customer_id=d["customer_id"], instance=Instance._from_json(d["instance"]),
            endpoint=d.get("endpoint"), endpoint_source=d["endpoint_source"],
        )


@dataclass(frozen=True)
class InstanceReport(Value):
    """``console.instances()``: where the instances were read (``None`` without a provider), when,
    each customer's instance, instances tagged for no known customer, a customer's other instances
    (a terminated predecessor) and customers without an instance."""

    provider: Optional[str]
    synced_at: Optional[datetime]
    linked: Table[LinkedInstance]
    without_customer: Table[Instance]
    extra: Table[Instance]
    customers_without_instance: List[str]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "InstanceReport":
        return cls(
            provider=d.get("provider"), synced_at=time_from_ms(d.get("synced_at_ms")),
            linked=Table(LinkedInstance, [LinkedInstance._from_json(x) for x in d["linked"]]),
            without_customer=Table(Instance, [Instance._from_json(x) for x in d["without_customer"]]),
            extra=Table(Instance, [Instance._from_json(x) for x in d["extra"]]),
            customers_without_instance=list(d["customers_without_instance"]),
        )


__all__ = ["Instance", "InstanceReport", "LinkedInstance"]
