"""Which Kafka driver errors make a publish task retry (transient) and which fail it for good."""

from __future__ import annotations

import pytest
from kafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    TopicAuthorizationFailedError,
    UnknownError,
)

from pipeline.errors import PublishRejected, PublishUnavailable
from pipeline.publishing.producer import _translate


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (KafkaConnectionError("refused"), PublishUnavailable),
        (KafkaTimeoutError("no ack"), PublishUnavailable),
        (NotLeaderForPartitionError(), PublishUnavailable),
        (UnknownError(None), PublishUnavailable),  # broker-side unexpected error: the retry may succeed
        (ConnectionResetError(104, "reset"), PublishUnavailable),
        (MessageSizeTooLargeError(), PublishRejected),  # the same bytes will never fit
        (TopicAuthorizationFailedError(), PublishRejected),
    ],
)
def test_driver_errors_are_classified(error: Exception, expected: type[Exception]) -> None:
    translated = _translate(error, "publishing 3 record(s)")
    assert type(translated) is expected
    assert str(translated).startswith("publishing 3 record(s): ")
