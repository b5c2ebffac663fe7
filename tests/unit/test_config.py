"""Settings: environment, nested names, Airflow connections, secrets masked."""


def test_airflow_connections_override_kafka_and_elasticsearch_settings() -> None:
    from pipeline.config import Settings, with_connections

    kafka = {
        "conn_type": "kafka",
        "host": "k1:9093,k2:9093",
        "login": "svc-inkstream",
        "password": "s3cret-k",
        "extra": '{"sasl_mechanism": "SCRAM-SHA-512", "ssl_cafile": "/etc/kafka/ca.pem"}',
    }
    es = {
        "conn_type": "https",
        "host": "es.internal",
        "port": 9243,
        "login": None,
        "password": None,
        "extra": {"api_key": "s3cret-es", "ca_certs": "/etc/es/ca.pem"},
    }
    s = with_connections(Settings(), kafka, es)
    opts = s.kafka.client_options()
    assert opts["bootstrap_servers"] == ["k1:9093", "k2:9093"] and opts["security_protocol"] == "SASL_SSL"
    assert opts["sasl_mechanism"] == "SCRAM-SHA-512" and opts["sasl_plain_password"] == "s3cret-k"
    assert opts["ssl_cafile"] == "/etc/kafka/ca.pem"
    assert s.es.url == "https://es.internal:9243" and s.es.ca_certs == "/etc/es/ca.pem"
    assert s.es.api_key is not None and s.es.api_key.get_secret_value() == "s3cret-es"
    shown = repr(s) + str(s.masked())
    assert "s3cret" not in shown  # secrets stay masked wherever settings are printed
    assert with_connections(Settings(), None, None) == Settings()  # no connections: the environment rules
