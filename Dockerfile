# inkstream on the official Airflow 3 image: used by the Airflow services and the indexer.
FROM apache/airflow:3.3.2-python3.11
USER root
COPY --chown=airflow:root . /opt/inkstream
USER airflow
RUN pip install --no-cache-dir -c /opt/inkstream/constraints.txt -e "/opt/inkstream" psycopg2-binary asyncpg
ENV INKSTREAM_SOURCE_ROOT=/data/issues \
    INKSTREAM_DATA_DIR=/data/inkstream \
    INKSTREAM_PAPERS_DIR=/opt/inkstream/papers
