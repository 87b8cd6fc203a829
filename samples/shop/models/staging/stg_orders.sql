select
    order_id,
    customer_id,
    cast(ordered_at as timestamp) as ordered_at,
    cast(ordered_at as date) as order_date,
    status,
    -- empty in the raw export means the order came in directly (no paid or owned channel)
    coalesce(nullif(marketing_channel, ''), 'direct') as marketing_channel,
    shipping_country,
    shipping_cents / 100.0 as shipping_amount
from {{ ref('raw_orders') }}
