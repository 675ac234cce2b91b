package io.pekkoraft.persistence.journal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of a record (after its 18-byte header). Strings and byte arrays are an int length, then the
 * bytes (strings in UTF-8).
 *
 * <pre>
 * WRITE   persistenceId, firstSequenceNr (long), count (int), then count events, sequence numbers
 *         firstSequenceNr, firstSequenceNr+1, ...; each event:
 *           timestamp (long), writerUuid, adapterManifest, serializerId (int), serializerManifest,
 *           payload (bytes), hasMetadata (byte 0/1) [metadataSerializerId (int), metadataManifest,
 *           metadata (bytes)]
 * DELETE  persistenceId, toSequenceNr (long): every event of persistenceId up to it is deleted
 * </pre>
 *
 * The persistence id and the sequence range come first, so that the start-up scan reads only them.
 */
final class RecordBodies {

  private RecordBodies() {}

  /** What the index needs of a record: its persistence id and its sequence numbers. */
  record Summary(byte type, String persistenceId, long fromSequenceNr, long toSequenceNr) {}

  static byte[] encodeWrite(List<StoredEvent> events) {
    if (events.isEmpty()) throw new IllegalArgumentException("an AtomicWrite without events");
    StoredEvent first = events.get(0);
    byte[] pid = utf8(first.persistenceId());
    int size = 4 + pid.length + 8 + 4;
    List<byte[][]> strings = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      if (!e.persistenceId().equals(first.persistenceId()) || e.sequenceNr() != first.sequenceNr() + i) {
        throw new IllegalArgumentException(
            "events of one record must have one persistence id and consecutive sequence numbers, got "
                + e.persistenceId() + "/" + e.sequenceNr() + " after " + first.persistenceId() + "/" + first.sequenceNr());
      }
      byte[][] s = {utf8(e.writerUuid()), utf8(e.adapterManifest()), utf8(e.serializerManifest()),
          e.hasMetadata() ? utf8(e.metadataManifest()) : null};
      strings.add(s);
      size += 8 + 4 + s[0].length + 4 + s[1].length + 4 + 4 + s[2].length + 4 + e.payload().length + 1;
      if (e.hasMetadata()) size += 4 + 4 + s[3].length + 4 + e.metadataBytes().length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putInt(pid.length).put(pid).putLong(first.sequenceNr()).putInt(events.size());
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      byte[][] s = strings.get(i);
      b.putLong(e.timestamp());
      putBytes(b, s[0]);
      putBytes(b, s[1]);
      b.putInt(e.serializerId());
      putBytes(b, s[2]);
      putBytes(b, e.payload());
      if (e.hasMetadata()) {
        b.put((byte) 1).putInt(e.metadataSerializerId());
        putBytes(b, s[3]);
        putBytes(b, e.metadataBytes());
      } else {
        b.put((byte) 0);
      }
    }
    return b.array();
  }

  static byte[] encodeDelete(String persistenceId, long toSequenceNr) {
    byte[] pid = utf8(persistenceId);
    return ByteBuffer.allocate(4 + pid.length + 8).putInt(pid.length).put(pid).putLong(toSequenceNr).array();
  }

  /** Reads the summary of a body that starts at {@code pos} and is {@code length} bytes long. */
  static Summary summary(ByteBuffer buf, int pos, int length, byte type) throws MalformedBodyException {
    try {
      ByteBuffer b = buf.duplicate().limit(pos + length).position(pos);
      String pid = getString(b);
      long seq = b.getLong();
      if (type == SegmentFormat.TYPE_WRITE) {
        int count = b.getInt();
        if (count <= 0 || seq <= 0 || seq + count - 1 < seq) throw new MalformedBodyException("bad sequence range " + seq + "+" + count);
        return new Summary(type, pid, seq, seq + count - 1);
      }
      if (seq < 0) throw new MalformedBodyException("negative sequence number " + seq);
      return new Summary(type, pid, 0, seq);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new MalformedBodyException("body ends early: " + e);
    }
  }

  /** Decodes every event of a WRITE body that starts at the buffer's position and ends at its limit. */
  static List<StoredEvent> decodeWrite(ByteBuffer b) throws MalformedBodyException {
    try {
      String pid = getString(b);
      long first = b.getLong();
      int count = b.getInt();
      if (count <= 0) throw new MalformedBodyException("event count " + count);
      List<StoredEvent> events = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        long timestamp = b.getLong();
        String writerUuid = getString(b);
        String adapterManifest = getString(b);
        int serializerId = b.getInt();
        String serializerManifest = getString(b);
        byte[] payload = getBytes(b);
        byte hasMetadata = b.get();
        if (hasMetadata == 1) {
          int metadataSerializerId = b.getInt();
          String metadataManifest = getString(b);
          byte[] metadata = getBytes(b);
          events.add(new StoredEvent(pid, first + i, timestamp, writerUuid, adapterManifest, serializerId,
              serializerManifest, payload, metadataSerializerId, metadataManifest, metadata));
        } else if (hasMetadata == 0) {
          events.add(StoredEvent.of(pid, first + i, timestamp, writerUuid, adapterManifest, serializerId,
              serializerManifest, payload));
        } else {
          throw new MalformedBodyException("metadata flag " + hasMetadata);
        }
      }
      if (b.hasRemaining()) throw new MalformedBodyException(b.remaining() + " bytes after the last event");
      return events;
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new MalformedBodyException("body ends early: " + e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void putBytes(ByteBuffer b, byte[] bytes) {
    b.putInt(bytes.length).put(bytes);
  }

  private static byte[] getBytes(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("length " + n + " with " + b.remaining() + " left");
    byte[] bytes = new byte[n];
    b.get(bytes);
    return bytes;
  }

  private static String getString(ByteBuffer b) {
    return new String(getBytes(b), StandardCharsets.UTF_8);
  }

  /** A record whose CRC matched but whose body cannot be read: a bug or a newer format, never torn. */
  static final class MalformedBodyException extends Exception {
    MalformedBodyException(String message) {
      super(message);
    }
  }
}
