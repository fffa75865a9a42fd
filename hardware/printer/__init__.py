"""Receipt printers: ESC/POS job builder, the links that send a job, a TCP 9100 simulator."""
