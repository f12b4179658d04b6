/* SPDX-License-Identifier: GPL-2.0 */
/* Interface exported by twoko_a and used by twoko_b. */
#ifndef TWOKO_H
#define TWOKO_H

int twoko_a_answer(void);

#endif /* TWOKO_H */
