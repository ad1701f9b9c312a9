; One dense layer on the sim-small preset: Y = relu(requant(A · W)).
;
; A is int8 [8, 8] (M = 8 rows, K = 8 = two K tiles of 4 lanes), W is int8 [8, 4]
; (N = 4 = one array-wide N tile). Memory image (layout of docs/isa.md / layout.rs):
;   b0:0..16   A, K tile 0 rows 0..8 then K tile 1 rows 0..8
;   b1:0..4,
;   b2:0..4    W: tile k0 at words 0-1, tile k1 at words 2-3 (column c of a tile in
;              install word c/2 of bank 1 + c%2)
;   b1:4..11   requantization parameters (7 words: biases, multipliers, shifts)
; Result:
;   b0:16..24  Y, int8 [8, 4] (lanes 0..4 of each word)
;   acc 0..8   C = A · W, int32 [8, 4]

.equ M, 8

    mxu.load 0                      ; install tile k0 (2 cycles)
    wait 0                          ; the first run may swap it in 2 cycles after
    mxu.run 0, M, 0, swap, load 2   ; stream K tile 0, install tile k1 meanwhile
    wait M - 2                      ; one tile period = M cycles
    mxu.run 8, M, 0, swap, acc      ; K tile 1, accumulate
    rq.param b1:4                   ; the requantizer loads its parameters meanwhile
    wait 10                         ; the run's read-modify-writes hold the accumulator
                                    ; read port until 6 cycles after its last row
    rq.run 0, M, b0:16, relu        ; accumulator rows 0..8 -> Y
    halt
