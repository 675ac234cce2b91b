package io.pekkoraft.persistence.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The bytes on disk, in one place. Every number is big-endian.
 *
 * <pre>
 * segment file  NNNNNNNNNNNNNNNNNNNN.seg (20 decimal digits: the segment number, consecutive)
 *   header (36 bytes)
 *     magic        8  "PKRAFTJL"
 *     version      4  1
 *     flags        4  bit 0: RETIRED (every record in it was dead; the file is cut to its header)
 *     segment      8  the segment number, equal to the one in the file name
 *     firstBatch   8  number of the first group-commit batch written into this segment
 *     crc          4  CRC32C of the 32 bytes before it
 *   records, back to back
 *
 * record  (18-byte header, then the body)
 *   length   4  body length in bytes
 *   crc      4  CRC32C of the 10 header bytes after it and of the body
 *   batch    8  group-commit batch number (one fsync); consecutive, a batch never spans two segments
 *   type     1  1 = WRITE (one AtomicWrite), 2 = DELETE (marker: events up to a sequence number are gone)
 *   flags    1  bit 0: LAST_IN_BATCH
 *   body     length bytes, see {@link RecordBodies}
 * </pre>
 *
 * <p>The batch number and the LAST_IN_BATCH flag tell a torn tail from corruption: a record that
 * fails its check at the end of the last segment belongs to batch E (the batch of the record before
 * it, or the next one if that record closed its batch). Batch E+1 is only ever written after batch E
 * was fsynced, so a valid record of a later batch behind the bad one proves the bad one had been
 * acknowledged: that is corruption, and the journal refuses to start.
 */
final class SegmentFormat {

  static final byte[] MAGIC = "PKRAFTJL".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int SEGMENT_HEADER_SIZE = 36;
  static final int FLAG_RETIRED = 1;

  static final int RECORD_HEADER_SIZE = 18;
  /** The CRC covers the record header from this offset on (batch, type, flags), then the body. */
  static final int RECORD_CRC_FROM = 8;
  static final byte TYPE_WRITE = 1;
  static final byte TYPE_DELETE = 2;
  static final byte FLAG_LAST_IN_BATCH = 1;
  /** The smallest body: an empty persistence id (4) and one sequence number (8). */
  static final int BODY_SIZE_MIN = 12;
  /** Largest segment, so that an offset fits an int. */
  static final long SEGMENT_SIZE_MAX = 1L << 30;
  static final long SEGMENT_SIZE_MIN = 4096;

  static final String SEGMENT_SUFFIX = ".seg";
  static final String LOCK_FILE = "journal.lock";
  private static final Pattern SEGMENT_NAME = Pattern.compile("(\\d{20})\\.seg");

  private SegmentFormat() {}

  static String fileName(long segment) {
    return String.format("%020d%s", segment, SEGMENT_SUFFIX);
  }

  /** The segment number of a file name, or -1 if the name is not a segment's. */
  static long parseFileName(String name) {
    Matcher m = SEGMENT_NAME.matcher(name);
    if (!m.matches()) return -1;
    try {
      return Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  record SegmentHeader(int version, int flags, long segment, long firstBatch) {
    boolean retired() {
      return (flags & FLAG_RETIRED) != 0;
    }
  }

  static ByteBuffer encodeSegmentHeader(SegmentHeader header) {
    ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_SIZE);
    b.put(MAGIC).putInt(header.version()).putInt(header.flags());
    b.putLong(header.segment()).putLong(header.firstBatch());
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, SEGMENT_HEADER_SIZE - 4);
    b.putInt((int) crc.getValue());
    return b.flip();
  }

  /**
   * Decodes a segment header, or explains in the returned text why it is not one (null on success is
   * never returned: check {@link HeaderCheck#problem()}).
   */
  static HeaderCheck decodeSegmentHeader(byte[] bytes) {
    if (bytes.length < SEGMENT_HEADER_SIZE) {
      return new HeaderCheck(null, "file is shorter than the " + SEGMENT_HEADER_SIZE + "-byte segment header");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) return new HeaderCheck(null, "wrong magic (not a journal segment)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int version = b.getInt(8);
    int flags = b.getInt(12);
    long segment = b.getLong(16);
    long firstBatch = b.getLong(24);
    int stored = b.getInt(32);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, SEGMENT_HEADER_SIZE - 4);
    if ((int) crc.getValue() != stored) return new HeaderCheck(null, "segment header CRC mismatch");
    if (version != VERSION) {
      return new HeaderCheck(null, "unsupported segment format version " + version + " (this build reads " + VERSION + ")");
    }
    return new HeaderCheck(new SegmentHeader(version, flags, segment, firstBatch), null);
  }

  record HeaderCheck(SegmentHeader header, String problem) {}

  /** Writes the 18-byte header of a record and its body into {@code out}, computing the CRC. */
  static void putRecord(ByteBuffer out, long batch, byte type, byte flags, byte[] body) {
    int start = out.position();
    out.putInt(body.length).putInt(0).putLong(batch).put(type).put(flags).put(body);
    CRC32C crc = new CRC32C();
    crc.update(out.array(), out.arrayOffset() + start + RECORD_CRC_FROM, RECORD_HEADER_SIZE - RECORD_CRC_FROM + body.length);
    out.putInt(start + 4, (int) crc.getValue());
  }

  /**
   * The body length of the record whose header starts at {@code idx} in {@code buf}, or a negative
   * {@link Invalid} code; {@code bytesLeft} is how many bytes the file has from there on.
   */
  static int recordLength(ByteBuffer buf, int idx, long bytesLeft) {
    if (bytesLeft < RECORD_HEADER_SIZE) return Invalid.SHORT_HEADER;
    int length = buf.getInt(idx);
    if (length < BODY_SIZE_MIN || length > bytesLeft - RECORD_HEADER_SIZE) return Invalid.LENGTH;
    return length;
  }

  /** Cheap test before a CRC: a type and flags this version writes. */
  static boolean knownTypeAndFlags(ByteBuffer buf, int idx) {
    byte type = buf.get(idx + 16);
    byte flags = buf.get(idx + 17);
    return (type == TYPE_WRITE || type == TYPE_DELETE) && (flags & ~FLAG_LAST_IN_BATCH) == 0;
  }

  /**
   * Checks a record whose header and body ({@code length} bytes) are in {@code buf} from {@code idx}:
   * 0 when it is valid, else a negative {@link Invalid} code.
   */
  static int verifyRecord(ByteBuffer buf, int idx, int length) {
    CRC32C crc = new CRC32C();
    ByteBuffer slice = buf.duplicate();
    slice.limit(idx + RECORD_HEADER_SIZE + length).position(idx + RECORD_CRC_FROM);
    crc.update(slice);
    if ((int) crc.getValue() != buf.getInt(idx + 4)) return Invalid.CRC;
    return knownTypeAndFlags(buf, idx) ? 0 : Invalid.UNKNOWN_TYPE;
  }

  /** Why a record failed its check; all negative. */
  static final class Invalid {
    static final int SHORT_HEADER = -1;
    static final int LENGTH = -2;
    static final int CRC = -3;
    static final int UNKNOWN_TYPE = -4;

    private Invalid() {}

    static String describe(int code) {
      return switch (code) {
        case SHORT_HEADER -> "record header runs past the end of the file";
        case LENGTH -> "record length runs past the end of the file (or is impossible)";
        case CRC -> "record CRC mismatch";
        case UNKNOWN_TYPE -> "record of an unknown type or flags (written by a newer version?)";
        default -> "invalid record (" + code + ")";
      };
    }
  }

  static long batchOf(ByteBuffer buf, int pos) {
    return buf.getLong(pos + 8);
  }

  static byte typeOf(ByteBuffer buf, int pos) {
    return buf.get(pos + 16);
  }

  static boolean lastInBatch(ByteBuffer buf, int pos) {
    return (buf.get(pos + 17) & FLAG_LAST_IN_BATCH) != 0;
  }
}
