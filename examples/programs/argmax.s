; Vector argmax on the sim-small preset: the class with the highest score of two
; score vectors combined element-wise.
;   b0:0..4    scores s1 (16 int8 values as 4 words of 4 lanes)
;   b1:0..4    scores s2
; Result:
;   b0:8..12   m = max(s1, s2), lane by lane
;   b0:12      argmax(m) as int32 in lanes 0..4 (lowest index on ties)
;   b0:16..20  s1 + s2 (saturating), for comparison

    vlen 4
    v.max b0:8, b0:0, b1:0          ; m = max(s1, s2)
    wait 3                          ; m's first word lands 5 cycles after v.max issues
    v.argmax b0:12, b0:8            ; index of the first maximum of m
    wait 4                          ; argmax keeps the unit busy V + 2 cycles
    v.add b0:16, b0:0, b1:0
    halt
