// Verilog emitted by rust-hdl 0.46 generate_verilog() for a small block (signed 8x8
// multiply-accumulate into a DFF, a SynchronousFIFO, an enum-state DFF, a sliced input
// bus). Kept verbatim as a lint fixture: it shows each waiver in synth/verilator_waivers.vlt
// is needed by rust-hdl output, and that together they make it lint clean.


module top(clock,a,b,clear,acc,wide,low,busy);
    
    // Module arguments
    input wire  clock;
    input wire signed [7:0] a;
    input wire signed [7:0] b;
    input wire  clear;
    output reg signed [23:0] acc;
    input wire  [15:0] wide;
    output reg  [3:0] low;
    output reg  busy;
    
    // Enums
    localparam Phase$Idle = 0;
    localparam Phase$Run = 1;
    
    // Stub signals
    reg signed [23:0] accum$d;
    wire signed [23:0] accum$q;
    reg  accum$clock;
    reg  fifo$clock;
    reg  fifo$read;
    wire  [7:0] fifo$data_out;
    wire  fifo$empty;
    wire  fifo$almost_empty;
    wire  fifo$underflow;
    reg  fifo$write;
    reg  [7:0] fifo$data_in;
    wire  fifo$full;
    wire  fifo$almost_full;
    wire  fifo$overflow;
    reg  phase$d;
    wire  phase$q;
    reg  phase$clock;
    
    // Local signals
    reg signed [15:0] prod;
    
    // Sub module instances
    top$accum accum(
        .d(accum$d),
        .q(accum$q),
        .clock(accum$clock)
    );
    top$fifo fifo(
        .clock(fifo$clock),
        .read(fifo$read),
        .data_out(fifo$data_out),
        .empty(fifo$empty),
        .almost_empty(fifo$almost_empty),
        .underflow(fifo$underflow),
        .write(fifo$write),
        .data_in(fifo$data_in),
        .full(fifo$full),
        .almost_full(fifo$almost_full),
        .overflow(fifo$overflow)
    );
    top$phase phase(
        .d(phase$d),
        .q(phase$q),
        .clock(phase$clock)
    );
    
    // Update code
    always @(*) begin
        accum$clock = clock;
        phase$clock = clock;
        accum$d = accum$q;
        phase$d = phase$q;
        fifo$clock = clock;
        prod = $signed($signed(a) * $signed(b));
        accum$d = accum$q + $signed(prod);
        if (clear) begin
            accum$d = 32'h0;
        end
        acc = accum$q;
        low = wide[(32'h0)+:(4)];
        fifo$data_in = wide[(32'h4)+:(8)];
        fifo$write = clear;
        fifo$read = clear;
        busy = phase$q == Phase$Run;
        case (phase$q)
            Phase$Idle:
                begin
                    if (clear) begin
                        phase$d = Phase$Run;
                    end
                end
            Phase$Run:
                begin
                    phase$d = Phase$Idle;
                end
            default:
                begin
                    phase$d = Phase$Idle;
                end
        endcase
    end
    
endmodule // top


module top$accum(d,q,clock);
    
    // Module arguments
    input wire signed [23:0] d;
    output reg signed [23:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 24'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$accum


module top$fifo(clock,read,data_out,empty,almost_empty,underflow,write,data_in,full,almost_full,overflow);
    
    // Module arguments
    input wire  clock;
    input wire  read;
    output reg  [7:0] data_out;
    output reg  empty;
    output reg  almost_empty;
    output reg  underflow;
    input wire  write;
    input wire  [7:0] data_in;
    output reg  full;
    output reg  almost_full;
    output reg  overflow;
    
    // Stub signals
    reg  [3:0] ram$read_address;
    reg  ram$read_clock;
    wire  [7:0] ram$read_data;
    reg  [3:0] ram$write_address;
    reg  ram$write_clock;
    reg  [7:0] ram$write_data;
    reg  ram$write_enable;
    reg  read_logic$clock;
    reg  read_logic$read;
    wire  [7:0] read_logic$data_out;
    wire  read_logic$empty;
    wire  read_logic$almost_empty;
    wire  read_logic$underflow;
    reg  [4:0] read_logic$write_address_delayed;
    wire  [3:0] read_logic$ram_read_address;
    reg  [7:0] read_logic$ram_read_data;
    wire  read_logic$ram_read_clock;
    wire  [4:0] read_logic$read_address_out;
    wire  [4:0] read_logic$fill_level;
    reg  write_logic$write;
    reg  [7:0] write_logic$data_in;
    wire  write_logic$full;
    wire  write_logic$almost_full;
    wire  write_logic$overflow;
    reg  write_logic$clock;
    wire  [3:0] write_logic$ram_write_address;
    wire  write_logic$ram_write_clock;
    wire  [7:0] write_logic$ram_write_data;
    wire  write_logic$ram_write_enable;
    reg  [4:0] write_logic$read_address;
    wire  [4:0] write_logic$write_address_delayed;
    wire  [4:0] write_logic$fill_level;
    
    // Sub module instances
    top$fifo$ram ram(
        .read_address(ram$read_address),
        .read_clock(ram$read_clock),
        .read_data(ram$read_data),
        .write_address(ram$write_address),
        .write_clock(ram$write_clock),
        .write_data(ram$write_data),
        .write_enable(ram$write_enable)
    );
    top$fifo$read_logic read_logic(
        .clock(read_logic$clock),
        .read(read_logic$read),
        .data_out(read_logic$data_out),
        .empty(read_logic$empty),
        .almost_empty(read_logic$almost_empty),
        .underflow(read_logic$underflow),
        .write_address_delayed(read_logic$write_address_delayed),
        .ram_read_address(read_logic$ram_read_address),
        .ram_read_data(read_logic$ram_read_data),
        .ram_read_clock(read_logic$ram_read_clock),
        .read_address_out(read_logic$read_address_out),
        .fill_level(read_logic$fill_level)
    );
    top$fifo$write_logic write_logic(
        .write(write_logic$write),
        .data_in(write_logic$data_in),
        .full(write_logic$full),
        .almost_full(write_logic$almost_full),
        .overflow(write_logic$overflow),
        .clock(write_logic$clock),
        .ram_write_address(write_logic$ram_write_address),
        .ram_write_clock(write_logic$ram_write_clock),
        .ram_write_data(write_logic$ram_write_data),
        .ram_write_enable(write_logic$ram_write_enable),
        .read_address(write_logic$read_address),
        .write_address_delayed(write_logic$write_address_delayed),
        .fill_level(write_logic$fill_level)
    );
    
    // Update code
    always @(*) begin
        read_logic$clock = clock;
        write_logic$clock = clock;
        read_logic$read = read;
        empty = read_logic$empty;
        almost_empty = read_logic$almost_empty;
        data_out = read_logic$data_out;
        underflow = read_logic$underflow;
        overflow = write_logic$overflow;
        almost_full = write_logic$almost_full;
        full = write_logic$full;
        write_logic$write = write;
        write_logic$data_in = data_in;
        ram$write_clock = clock;
        ram$write_enable = write_logic$ram_write_enable;
        ram$write_address = write_logic$ram_write_address;
        ram$write_data = write_logic$ram_write_data;
        ram$read_clock = clock;
        ram$read_address = read_logic$ram_read_address;
        read_logic$ram_read_data = ram$read_data;
        read_logic$write_address_delayed = write_logic$write_address_delayed;
        write_logic$read_address = read_logic$read_address_out;
    end
    
endmodule // top$fifo


module top$fifo$ram(read_address,read_clock,read_data,write_address,write_clock,write_data,write_enable);
    
    // Module arguments
    input wire  [3:0] read_address;
    input wire  read_clock;
    output reg  [7:0] read_data;
    input wire  [3:0] write_address;
    input wire  write_clock;
    input wire  [7:0] write_data;
    input wire  write_enable;
    
    // Update code (custom)
    reg[7:0] mem[15:0];
    
    
    
    always @(posedge read_clock) begin
       read_data <= mem[read_address];
    end
    
    always @(posedge write_clock) begin
       if (write_enable) begin
          mem[write_address] <= write_data;
       end
    end
                
endmodule // top$fifo$ram


module top$fifo$read_logic(clock,read,data_out,empty,almost_empty,underflow,write_address_delayed,ram_read_address,ram_read_data,ram_read_clock,read_address_out,fill_level);
    
    // Module arguments
    input wire  clock;
    input wire  read;
    output reg  [7:0] data_out;
    output reg  empty;
    output reg  almost_empty;
    output reg  underflow;
    input wire  [4:0] write_address_delayed;
    output reg  [3:0] ram_read_address;
    input wire  [7:0] ram_read_data;
    output reg  ram_read_clock;
    output reg  [4:0] read_address_out;
    output reg  [4:0] fill_level;
    
    // Constant declarations
    localparam  fifo_address_mask = 5'b1111;
    localparam  fifo_size = 5'b10000;
    localparam  block_size = 5'b1;
    
    // Stub signals
    reg  [4:0] read_address$d;
    wire  [4:0] read_address$q;
    reg  read_address$clock;
    reg  dff_underflow$d;
    wire  dff_underflow$q;
    reg  dff_underflow$clock;
    
    // Local signals
    reg  is_empty;
    reg  is_full;
    
    // Sub module instances
    top$fifo$read_logic$read_address read_address(
        .d(read_address$d),
        .q(read_address$q),
        .clock(read_address$clock)
    );
    top$fifo$read_logic$dff_underflow dff_underflow(
        .d(dff_underflow$d),
        .q(dff_underflow$q),
        .clock(dff_underflow$clock)
    );
    
    // Update code
    always @(*) begin
        read_address$clock = clock;
        dff_underflow$clock = clock;
        read_address$d = read_address$q;
        dff_underflow$d = dff_underflow$q;
        ram_read_clock = clock;
        is_empty = (read_address$q == write_address_delayed);
        is_full = ~is_empty & ((read_address$q & fifo_address_mask) == (write_address_delayed & fifo_address_mask));
        fill_level = ((write_address_delayed & fifo_address_mask) + fifo_size - (read_address$q & fifo_address_mask)) & fifo_address_mask;
        if (is_full) begin
            fill_level = fifo_size;
        end
        almost_empty = (fill_level < block_size);
        empty = is_empty;
        ram_read_address = ((read_address$q & fifo_address_mask) & 4'hf);
        data_out = ram_read_data;
        if (read & ~is_empty) begin
            read_address$d = read_address$q + 32'h1;
            ram_read_address = (((read_address$q + 32'h1) & fifo_address_mask) & 4'hf);
        end
        else begin
            read_address$d = read_address$q;
        end
        dff_underflow$d = dff_underflow$q | (is_empty & read);
        underflow = dff_underflow$q;
        read_address_out = read_address$q;
    end
    
endmodule // top$fifo$read_logic


module top$fifo$read_logic$dff_underflow(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$fifo$read_logic$dff_underflow


module top$fifo$read_logic$read_address(d,q,clock);
    
    // Module arguments
    input wire  [4:0] d;
    output reg  [4:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 5'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$fifo$read_logic$read_address


module top$fifo$write_logic(write,data_in,full,almost_full,overflow,clock,ram_write_address,ram_write_clock,ram_write_data,ram_write_enable,read_address,write_address_delayed,fill_level);
    
    // Module arguments
    input wire  write;
    input wire  [7:0] data_in;
    output reg  full;
    output reg  almost_full;
    output reg  overflow;
    input wire  clock;
    output reg  [3:0] ram_write_address;
    output reg  ram_write_clock;
    output reg  [7:0] ram_write_data;
    output reg  ram_write_enable;
    input wire  [4:0] read_address;
    output reg  [4:0] write_address_delayed;
    output reg  [4:0] fill_level;
    
    // Constant declarations
    localparam  fifo_address_mask = 5'b1111;
    localparam  fifo_size = 5'b10000;
    localparam  almost_full_level = 5'b1111;
    
    // Stub signals
    reg  [4:0] write_address$d;
    wire  [4:0] write_address$q;
    reg  write_address$clock;
    reg  [4:0] dff_write_address_delay$d;
    wire  [4:0] dff_write_address_delay$q;
    reg  dff_write_address_delay$clock;
    reg  dff_overflow$d;
    wire  dff_overflow$q;
    reg  dff_overflow$clock;
    
    // Local signals
    reg  is_empty;
    reg  is_full;
    
    // Sub module instances
    top$fifo$write_logic$write_address write_address(
        .d(write_address$d),
        .q(write_address$q),
        .clock(write_address$clock)
    );
    top$fifo$write_logic$dff_write_address_delay dff_write_address_delay(
        .d(dff_write_address_delay$d),
        .q(dff_write_address_delay$q),
        .clock(dff_write_address_delay$clock)
    );
    top$fifo$write_logic$dff_overflow dff_overflow(
        .d(dff_overflow$d),
        .q(dff_overflow$q),
        .clock(dff_overflow$clock)
    );
    
    // Update code
    always @(*) begin
        dff_overflow$clock = clock;
        write_address$clock = clock;
        dff_write_address_delay$clock = clock;
        dff_overflow$d = dff_overflow$q;
        write_address$d = write_address$q;
        dff_write_address_delay$d = dff_write_address_delay$q;
        ram_write_clock = clock;
        dff_write_address_delay$d = write_address$q;
        write_address_delayed = dff_write_address_delay$q;
        ram_write_enable = 1'b0;
        is_empty = (read_address == dff_write_address_delay$q);
        is_full = ~is_empty & ((read_address & fifo_address_mask) == (write_address$q & fifo_address_mask));
        fill_level = ((dff_write_address_delay$q & fifo_address_mask) + fifo_size - (read_address & fifo_address_mask)) & fifo_address_mask;
        if (is_full) begin
            fill_level = fifo_size;
        end
        almost_full = (fill_level >= almost_full_level);
        full = is_full;
        ram_write_address = ((write_address$q & fifo_address_mask) & 4'hf);
        ram_write_data = data_in;
        if (write & ~is_full) begin
            write_address$d = write_address$q + 32'h1;
            ram_write_enable = 1'b1;
        end
        else begin
            write_address$d = write_address$q;
            ram_write_enable = 1'b0;
        end
        dff_overflow$d = dff_overflow$q | (is_full & write);
        overflow = dff_overflow$q;
    end
    
endmodule // top$fifo$write_logic


module top$fifo$write_logic$dff_overflow(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$fifo$write_logic$dff_overflow


module top$fifo$write_logic$dff_write_address_delay(d,q,clock);
    
    // Module arguments
    input wire  [4:0] d;
    output reg  [4:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 5'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$fifo$write_logic$dff_write_address_delay


module top$fifo$write_logic$write_address(d,q,clock);
    
    // Module arguments
    input wire  [4:0] d;
    output reg  [4:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 5'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$fifo$write_logic$write_address


module top$phase(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Enums
    localparam Phase$Idle = 0;
    localparam Phase$Run = 1;
    
    // Update code (custom)
    initial begin
       q = 64'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$phase
