// ConnectorJ exercises a SQL node through MariaDB Connector/J with
// server-side prepared statements (useServerPrepStmts=true): DDL, prepared
// INSERT, SELECT, UPDATE and DELETE with parameters of several types, and
// a transaction rolled back and one committed. It prints one line per
// result; connectorj_test.go runs it (java single-file source mode, the
// driver jar on the class path) and compares the lines.
//
//   java -cp mariadb-java-client.jar ConnectorJ.java JDBC-URL USER PASSWORD
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;

public class ConnectorJ {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE cj");
                st.execute("CREATE TABLE cj.items (id INT NOT NULL PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), "
                        + "qty BIGINT, ratio DOUBLE, born DATE, seen DATETIME, data VARBINARY(16), flag TINYINT, KEY (qty))");
            }
            try (PreparedStatement ins = c.prepareStatement(
                    "INSERT INTO cj.items (id, name, price, qty, ratio, born, seen, data, flag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                // Server-side: COM_STMT_PREPARE and COM_STMT_EXECUTE.
                System.out.println("prepared: " + ins.getClass().getSimpleName());
                for (int i = 1; i <= 4; i++) {
                    ins.setInt(1, i);
                    if (i == 3) {
                        ins.setNull(2, Types.VARCHAR);
                    } else {
                        ins.setString(2, "item-" + i + (i == 4 ? " \u00e9\u00e8" : ""));
                    }
                    ins.setBigDecimal(3, new BigDecimal(i + ".25"));
                    ins.setLong(4, 1000000000000L * i);
                    ins.setDouble(5, i / 8.0);
                    ins.setDate(6, Date.valueOf("2024-01-0" + i));
                    ins.setTimestamp(7, Timestamp.valueOf("2024-02-0" + i + " 10:20:3" + i));
                    ins.setBytes(8, new byte[] {(byte) i, 0, (byte) 0xff});
                    ins.setByte(9, (byte) (i % 2));
                    System.out.println("insert " + i + ": " + ins.executeUpdate());
                }
            }
            try (PreparedStatement sel = c.prepareStatement(
                    "SELECT id, name, price, qty, ratio, born, seen, data, flag FROM cj.items WHERE id = ?")) {
                for (int i : new int[] {1, 3, 4, 9}) {
                    sel.setInt(1, i);
                    try (ResultSet rs = sel.executeQuery()) {
                        print("select " + i, rs);
                    }
                }
            }
            try (PreparedStatement rng = c.prepareStatement(
                    "SELECT id, name FROM cj.items WHERE qty BETWEEN ? AND ? AND ratio > ? ORDER BY qty DESC")) {
                rng.setLong(1, 2000000000000L);
                rng.setLong(2, 4000000000000L);
                rng.setDouble(3, 0.2);
                try (ResultSet rs = rng.executeQuery()) {
                    print("range", rs);
                }
            }
            try (PreparedStatement upd = c.prepareStatement("UPDATE cj.items SET name = ?, price = price + ? WHERE id = ?")) {
                upd.setString(1, "renamed");
                upd.setBigDecimal(2, new BigDecimal("0.50"));
                upd.setInt(3, 2);
                System.out.println("update: " + upd.executeUpdate());
                upd.setString(1, "nobody");
                upd.setBigDecimal(2, BigDecimal.ONE);
                upd.setInt(3, 42);
                System.out.println("update missing: " + upd.executeUpdate());
            }
            try (PreparedStatement del = c.prepareStatement("DELETE FROM cj.items WHERE id = ?")) {
                del.setInt(1, 1);
                System.out.println("delete: " + del.executeUpdate());
            }
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO cj.items (id, name) VALUES (?, ?)")) {
                ins.setInt(1, 10);
                ins.setString(2, "rolled back");
                ins.executeUpdate();
                c.rollback();
                ins.setInt(1, 11);
                ins.setString(2, "committed");
                ins.executeUpdate();
                c.commit();
            }
            c.setAutoCommit(true);
            try (PreparedStatement sel = c.prepareStatement("SELECT id, name, price FROM cj.items WHERE id >= ? ORDER BY id")) {
                sel.setInt(1, 0);
                try (ResultSet rs = sel.executeQuery()) {
                    print("final", rs);
                }
            }
            try (Statement st = c.createStatement()) {
                st.execute("DROP DATABASE cj");
            }
            System.out.println("done");
        }
    }

    // print writes one line per row: the label, then each column as
    // getString gives it (NULL for SQL NULL; bytes in hex).
    static void print(String label, ResultSet rs) throws Exception {
        ResultSetMetaData md = rs.getMetaData();
        int rows = 0;
        while (rs.next()) {
            StringBuilder b = new StringBuilder(label).append(":");
            for (int i = 1; i <= md.getColumnCount(); i++) {
                b.append(i == 1 ? " " : "|");
                if (md.getColumnType(i) == Types.VARBINARY || md.getColumnType(i) == Types.BINARY) {
                    byte[] v = rs.getBytes(i);
                    if (v == null) {
                        b.append("NULL");
                    } else {
                        for (byte x : v) {
                            b.append(String.format("%02x", x));
                        }
                    }
                    continue;
                }
                String v = rs.getString(i);
                b.append(v == null ? "NULL" : v);
            }
            System.out.println(b);
            rows++;
        }
        if (rows == 0) {
            System.out.println(label + ": no rows");
        }
    }
}
