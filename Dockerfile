# inkstream on the official Airflow 3 image: used by the Airflow services and the indexer.
FROM apache/airflow:3.3.2-python3.11
USER root
COPY --chown=airflow:root . /opt/inkstream
USER airflow
# a regular install (not editable): paper configurations, schemas, index template, Kibana objects
# and DAG files are package data; /opt/inkstream stays only as the DAG folder compose points at
RUN pip install --no-cache-dir -c /opt/inkstream/constraints.txt "/opt/inkstream" psycopg2-binary asyncpg
ENV INKSTREAM_SOURCE_ROOT=/data/issues \
    INKSTREAM_DATA_DIR=/data/inkstream \
    INKSTREAM_PAPERS_DIR=/opt/inkstream/papers
