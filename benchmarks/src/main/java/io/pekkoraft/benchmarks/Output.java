package io.pekkoraft.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The benchmark's standard output: one JSON object per line, each starting with
 * {@code "bench":"W1","peer":"pekko-raft","version":...} (another peer, run by bin/bench w1 --peer, names itself
 * and its version with {@link #peer(String, String)}), and human-readable lines starting with {@code # }.
 * Nothing else writes to standard output: {@link #capture()} sends everything else (logging) to standard
 * error.
 */
final class Output {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = loadVersion();
  private static volatile String peerVersion = VERSION;
  private static PrintStream out = System.out;
  private static volatile String peer = "pekko-raft";

  private Output() {}

  /** Keeps the real standard output for the result lines; anything else printed goes to standard error. */
  static synchronized void capture() {
    out = System.out;
    System.setOut(System.err);
  }

  /** The Raft library the result lines are about, and its version: Pekko Raft's unless another peer runs W1. */
  static void peer(String name, String version) {
    peer = name;
    peerVersion = version;
  }

  static String version() {
    return VERSION;
  }

  /** One result line of W1: the common fields (the peer set by {@link #peer}), then {@code fields} in their order. */
  static void result(String result, Map<String, ?> fields) {
    result("W1", peer, peerVersion, result, fields);
  }

  /**
   * One result line of another workload or peer: {@code "bench"}, {@code "peer"} and {@code "version"} (the
   * peer's), then {@code result} and {@code fields} in their order.
   */
  static void result(String bench, String peer, String version, String result, Map<String, ?> fields) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("bench", bench);
    line.put("peer", peer);
    line.put("version", version);
    line.put("result", result);
    line.putAll(fields);
    String text;
    try {
      text = JSON.writeValueAsString(line);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write result line " + line, e);
    }
    print(text);
  }

  /** A human-readable line, prefixed with {@code # }. */
  static void comment(String text) {
    for (String line : text.split("\n")) print("# " + line);
  }

  private static synchronized void print(String line) {
    out.println(line);
    out.flush();
  }

  private static String loadVersion() {
    try (InputStream in = Output.class.getResourceAsStream("/bench.properties")) {
      if (in == null) throw new IllegalStateException("bench.properties is missing from the class path");
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
