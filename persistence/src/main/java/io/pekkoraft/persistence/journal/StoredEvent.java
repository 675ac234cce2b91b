package io.pekkoraft.persistence.journal;

/**
 * One event as the journal stores it: Pekko's PersistentRepr fields with the payload (and the
 * optional metadata) already serialized by Pekko's serialization (serializer id, manifest, bytes).
 *
 * @param adapterManifest the PersistentRepr manifest (set by event adapters; usually empty)
 * @param metadataBytes null when the event has no metadata
 */
public record StoredEvent(
    String persistenceId,
    long sequenceNr,
    long timestamp,
    String writerUuid,
    String adapterManifest,
    int serializerId,
    String serializerManifest,
    byte[] payload,
    int metadataSerializerId,
    String metadataManifest,
    byte[] metadataBytes) {

  /** An event without metadata. */
  public static StoredEvent of(
      String persistenceId,
      long sequenceNr,
      long timestamp,
      String writerUuid,
      String adapterManifest,
      int serializerId,
      String serializerManifest,
      byte[] payload) {
    return new StoredEvent(
        persistenceId, sequenceNr, timestamp, writerUuid, adapterManifest, serializerId, serializerManifest,
        payload, 0, "", null);
  }

  public boolean hasMetadata() {
    return metadataBytes != null;
  }
}
