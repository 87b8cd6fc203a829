{{ config(materialized='view', tags=['finance']) }}

select
    payment_id,
    order_id,
    payment_method,
    status as payment_status,
    cast(amount_cents / 100.0 as decimal(12, 2)) as amount,
    cast(paid_at as timestamp) as paid_at
from {{ ref('raw_payments') }}
